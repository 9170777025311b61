import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newSecret } from '../domain/secret.js';
import { BaselineError, baselineOf, fingerprint, partition, readBaseline, serialiseBaseline, writeBaseline } from './baseline.js';

const secret = () => newSecret((n) => randomBytes(n));
const root = mkdtempSync(join(tmpdir(), 'keyplane-baseline-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('baseline', () => {
  const [a, b] = [secret(), secret()];
  const commit = 'a'.repeat(40);

  it('fingerprints a secret with SHA-256, as sha256sum would', () => {
    expect(fingerprint(a)).toBe(createHash('sha256').update(a).digest('hex'));
    expect(fingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('holds one entry per fingerprint, path and commit, in a stable order, and never a secret', () => {
    const findings = [
      { secret: b, path: 'src/z.ts' },
      { secret: a, path: 'src/a.ts' },
      { secret: a, path: 'src/a.ts' },
      { secret: a, path: 'config.yaml', commit },
    ];
    const baseline = baselineOf(findings);
    expect(baseline.version).toBe(1);
    expect(baseline.findings).toHaveLength(3);
    expect(serialiseBaseline(baselineOf([...findings].reverse()))).toBe(serialiseBaseline(baseline));
    const text = serialiseBaseline(baseline);
    expect(text).not.toContain(a);
    expect(text).not.toContain(b);
    expect(text).not.toContain(a.slice(4, 20));
    expect(JSON.parse(text).findings).toContainEqual({ fingerprint: fingerprint(a), path: 'config.yaml', commit });
  });

  it('accepts a known secret at the same path wherever it moves in the file, and not elsewhere', () => {
    const baseline = baselineOf([{ secret: a, path: 'src/a.ts' }, { secret: b, path: 'x.env', commit }]);
    const moved = { secret: a, path: 'src/a.ts', line: 99 };
    const copied = { secret: a, path: 'src/copy.ts', line: 1 };
    const otherCommit = { secret: b, path: 'x.env', commit: 'b'.repeat(40), line: 1 };
    const sameCommit = { secret: b, path: 'x.env', commit, line: 7 };
    const fresh = { secret: secret(), path: 'src/a.ts', line: 3 };
    expect(partition([moved, copied, otherCommit, sameCommit, fresh], baseline)).toEqual({
      fresh: [copied, otherCommit, fresh],
      accepted: [moved, sameCommit],
    });
  });

  it('writes the file whole and reads it back', () => {
    const file = join(root, 'written.json');
    const baseline = baselineOf([{ secret: a, path: 'a' }]);
    writeBaseline(file, baseline);
    expect(readBaseline(file)).toEqual(baseline);
    writeBaseline(file, baselineOf([]));
    expect(readBaseline(file)).toEqual({ version: 1, findings: [] });
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe('{\n  "version": 1,\n  "findings": []\n}\n');
  });

  it('refuses a missing, malformed or foreign file, naming the field', () => {
    const file = (name: string, text: string) => {
      const path = join(root, name);
      writeFileSync(path, text);
      return path;
    };
    expect(() => readBaseline(join(root, 'nope.json'))).toThrow(new BaselineError(`baseline ${join(root, 'nope.json')} does not exist`));
    expect(() => readBaseline(file('bad.json', '{'))).toThrow('is not valid JSON');
    expect(() => readBaseline(file('v2.json', '{"version":2,"findings":[]}'))).toThrow(/: version: must be 1$/);
    expect(() => readBaseline(file('fp.json', '{"version":1,"findings":[{"fingerprint":"xyz","path":"a"}]}'))).toThrow(
      /: findings\[0\]\.fingerprint: must be 64 lowercase hex digits/,
    );
    expect(() => readBaseline(file('secret.json', `{"version":1,"findings":[{"fingerprint":"${fingerprint(a)}","path":"a","secret":"${a}"}]}`))).toThrow(
      /not a Keyplane baseline: findings\[0\]: /,
    );
  });
});
