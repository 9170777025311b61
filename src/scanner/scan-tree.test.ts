import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newSecret, SECRET_ALPHABET } from '../domain/secret.js';
import { findSecrets } from './find-secrets.js';
import { findSecretsInBytes, scanInParallel, scanTree } from './scan-tree.js';
import { listFiles } from './walk.js';

/** A seeded generator, so that a failing case can be replayed. */
function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 16;
  };
  return { next, pick: <T>(items: readonly T[]) => items[next() % items.length]!, secret: () => newSecret((n) => Uint8Array.from({ length: n }, next)) };
}

const KEY = 'ABCD1234EFGH5678';
const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A text mixing every way a secret is written with near misses, non-ASCII text and line endings. */
function mixedText(seed: number): string {
  const r = random(seed);
  const pieces = [
    () => `API_SECRET=${r.secret()}`,
    () => `curl "https://h/?s=${encodeURIComponent(r.secret())}"`,
    () => `{"secret":"${r.secret().replaceAll('/', '\\/')}"}`,
    () => `  blob: ${b64(`${'x'.repeat(r.next() % 3)}secret=${r.secret()}\n`)}`,
    () => {
      // A blob wrapped as `base64` and `openssl base64` write it, perhaps indented as in YAML.
      const blob = b64(`${'#'.repeat(r.next() % 90)}\nsecret=${r.secret()}\n${'#'.repeat(r.next() % 90)}`);
      const [width, indent] = [r.pick([64, 76]), r.pick(['', '    '])];
      return Array.from({ length: Math.ceil(blob.length / width) }, (_, i) => indent + blob.slice(i * width, (i + 1) * width)).join('\n');
    },
    () => `key ${KEY}`,
    () => `cflt${r.secret()}`,
    () => {
      const s = r.secret();
      return `near ${s.slice(0, 10)}${SECRET_ALPHABET[(SECRET_ALPHABET.indexOf(s[10]!) + 1) % 64]}${s.slice(11)}`;
    },
    () => `// ünïcödé ☕ 😀 ${r.secret()}`,
    () => 'plain words, cfl and flt and Y2Zs',
    () => '',
  ];
  const lines = Array.from({ length: 1 + (r.next() % 12) }, () => r.pick(pieces)());
  return lines.join(r.pick(['\n', '\r\n'])) + r.pick(['', '\n']);
}

describe('findSecretsInBytes', () => {
  it('finds exactly what findSecrets finds in the decoded text, positions included', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const text = mixedText(seed);
      const options = { showSecrets: true, legacy: seed % 5 === 0 };
      expect(findSecretsInBytes(Buffer.from(text), options), `seed ${seed}`).toEqual(findSecrets(text, options));
    }
  });

  it('finds nothing in a text without a candidate marker, and finds a secret at the very start and end', () => {
    expect(findSecretsInBytes(Buffer.from('const x = 1;\n'.repeat(100)), {})).toEqual([]);
    const [a, b] = [random(7).secret(), random(8).secret()];
    expect(findSecretsInBytes(Buffer.from(`${a}\n\n${b}`), {}).map((f) => [f.line, f.column])).toEqual([
      [1, 1],
      [3, 1],
    ]);
  });
});

describe('scanTree', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'keyplane-scan-tree-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function write(name: string, content: string | Buffer): string {
    const path = join(root, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  }

  it('scans a directory: findings sorted by file, line and column, skipped files and the count of files scanned', async () => {
    const r = random(11);
    const [a, b, c] = [r.secret(), r.secret(), r.secret()];
    write('z.txt', `x\n${a}\n`);
    write('a/b.txt', `${b} ${c}\n`);
    write('a/bin.dat', Buffer.from([0, 1]));
    const result = await scanTree(root, { maxFileBytes: 1000, showSecrets: true, legacy: false });
    expect(result.findings.map((f) => [f.file, f.line, f.column, f.secret])).toEqual([
      [join(root, 'a/b.txt'), 1, 1, b],
      [join(root, 'a/b.txt'), 1, 66, c],
      [join(root, 'z.txt'), 2, 1, a],
    ]);
    expect(result.files).toBe(2);
    expect(result.skipped).toEqual([{ path: join(root, 'a/bin.dat'), reason: 'binary' }]);
  });

  it('scans a single file, masks unless asked, and rejects with ENOENT for a missing root', async () => {
    const s = random(12).secret();
    const path = write('one.env', `S=${s}`);
    const result = await scanTree(path, { maxFileBytes: 1000, showSecrets: false, legacy: false });
    expect(result.findings).toEqual([{ file: path, line: 1, column: 3, masked: `${s.slice(0, 8)}…`, confidence: 'high', encoding: 'plain' }]);
    await expect(scanTree(join(root, 'missing'), { maxFileBytes: 1000, showSecrets: false, legacy: false })).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('gives the same result with worker threads as in this thread alone', async () => {
    for (let i = 0; i < 150; i++) write(`d${i % 7}/f${i}.txt`, mixedText(1000 + i));
    write('d0/bin.dat', Buffer.from([0]));
    write('d1/big.txt', 'x'.repeat(5000));
    for (const legacy of [false, true]) {
      const options = { maxFileBytes: 4000, showSecrets: true, legacy };
      const alone = await scanTree(root, { ...options, workers: 1 });
      expect(alone.findings.length).toBeGreaterThan(100);
      expect(await scanTree(root, { ...options, workers: 3 })).toEqual(alone);
      // On a small tree this thread may finish before a worker starts: make the workers do it all.
      const byWorkers = await scanInParallel([...listFiles(root)], options, 2, false);
      expect(byWorkers.files).toBe(alone.files);
      expect(byWorkers.findings).toEqual(expect.arrayContaining(alone.findings));
      expect(byWorkers.findings).toHaveLength(alone.findings.length);
      expect(byWorkers.skipped).toEqual(expect.arrayContaining(alone.skipped));
      expect(byWorkers.skipped).toHaveLength(alone.skipped.length);
    }
  });
});
