import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isChecksummedSecret } from '../domain/secret.js';
import { type FileFinding, scanTree } from './scan-tree.js';

/**
 * The fixture corpus in test/fixtures/scanner: tree/ holds true positives, near misses and files
 * to skip; expected.json lists every finding the scanner must report there, and nothing else.
 */
interface Manifest {
  maxFileBytes: number;
  findings: { file: string; line: number; column: number; encoding: string; confidence: 'high' | 'low' }[];
  skipped: { file: string; reason: string }[];
  /** Files git cannot hold (a .git directory, ignored files): written into the copy scanned. */
  created: { file: string; text: string }[];
}

const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'scanner');
const manifest = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as Manifest;
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'keyplane-scanner-corpus-'));
  cpSync(join(fixtures, 'tree'), root, { recursive: true });
  for (const { file, text } of manifest.created) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const rel = (path: string) => relative(root, path).split(sep).join('/');
const shape = (f: FileFinding) => ({ file: rel(f.file), line: f.line, column: f.column, encoding: f.encoding, confidence: f.confidence });

describe('the scanner fixture corpus', () => {
  it('reports every high-confidence secret listed, in order, and nothing else', async () => {
    const result = await scanTree(root, { maxFileBytes: manifest.maxFileBytes, showSecrets: true, legacy: false });
    expect(result.findings.map(shape)).toEqual(manifest.findings.filter((f) => f.confidence === 'high'));
    for (const finding of result.findings) {
      expect(isChecksummedSecret(finding.secret!)).toBe(true);
      expect(finding.masked).toBe(`${finding.secret!.slice(0, 8)}…`);
    }
  });

  it('with legacy, also reports the legacy secret standing next to a key id, and no near miss', async () => {
    const result = await scanTree(root, { maxFileBytes: manifest.maxFileBytes, showSecrets: false, legacy: true });
    expect(result.findings.map(shape)).toEqual(manifest.findings);
    expect(result.findings.every((f) => f.secret === undefined)).toBe(true);
  });

  it('skips binary and oversized files, .git and what .gitignore excludes, and scans every other file', async () => {
    const result = await scanTree(root, { maxFileBytes: manifest.maxFileBytes, showSecrets: false, legacy: false });
    expect(result.skipped.map((s) => ({ file: rel(s.path), reason: s.reason }))).toEqual(manifest.skipped);
    const inTree = readdirSync(join(fixtures, 'tree'), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length;
    expect(result.files).toBe(inTree - manifest.skipped.length);
  });

  it('the files skipped by rule hold secrets that are found when scanned on their own', async () => {
    for (const { file } of [...manifest.skipped, ...manifest.created]) {
      if (file === 'binary.bin') continue;
      const result = await scanTree(join(root, file), { maxFileBytes: Number.MAX_SAFE_INTEGER, showSecrets: false, legacy: false });
      expect(result.findings, file).toHaveLength(1);
    }
  });
});
