import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newSecret } from '../../domain/secret.js';
import type { CliIo } from '../io.js';
import { run } from '../main.js';

const root = mkdtempSync(join(tmpdir(), 'keyplane-scan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const secret = () => newSecret((n) => randomBytes(n));

function io(stdin?: string) {
  const out = { stdout: '', stderr: '' };
  const cli: CliIo = {
    stdout: { write: (t: string) => (out.stdout += t) },
    stderr: { write: (t: string) => (out.stderr += t) },
    env: {},
    ...(stdin === undefined ? {} : { readStdin: async () => stdin }),
  };
  return { cli, out };
}

describe('keyplane scan', () => {
  const tree = join(root, 'tree');
  const [plain, dotfile, ignored, binary, large, encoded] = [secret(), secret(), secret(), secret(), secret(), secret()];
  mkdirSync(join(tree, 'nested', 'deeper'), { recursive: true });
  mkdirSync(join(tree, 'build'));
  mkdirSync(join(tree, '.git'));
  writeFileSync(join(tree, '.gitignore'), 'build/\n*.log\n');
  writeFileSync(join(tree, 'config.yaml'), `kafka:\n  key: ABCD1234EFGH5678\n  secret: ${plain}\n`);
  writeFileSync(join(tree, '.env'), `KEYPLANE_API_SECRET=${dotfile}\n`);
  writeFileSync(join(tree, 'build', 'out.js'), `const s = "${ignored}";\n`);
  writeFileSync(join(tree, 'debug.log'), `${ignored}\n`);
  writeFileSync(join(tree, '.git', 'config'), `${ignored}\n`);
  writeFileSync(join(tree, 'image.bin'), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(binary)]));
  writeFileSync(join(tree, 'big.txt'), `${'x'.repeat(2000)}\n${large}\n`);
  writeFileSync(join(tree, 'nested', 'deeper', 'call.sh'), `curl "https://h/?s=${encodeURIComponent(encoded)}"\n`);

  it('finds secrets in files and dotfiles, leaves out .git, ignored, binary and oversized files, and exits 1', async () => {
    const { cli, out } = io();
    expect(await run(['scan', tree, '--max-file-size', '1000', '-o', 'json'], cli)).toBe(1);
    const found = JSON.parse(out.stdout) as { file: string; line: number; column: number; secret: string; key_id: string | null }[];
    expect(found.map((f) => f.file.slice(tree.length + 1)).sort()).toEqual(['.env', 'config.yaml', 'nested/deeper/call.sh']);
    const yaml = found.find((f) => f.file.endsWith('config.yaml'))!;
    expect(yaml).toMatchObject({ line: 3, column: 11, secret: `${plain.slice(0, 8)}…`, key_id: 'ABCD1234EFGH5678' });
    expect(out.stdout).not.toContain(plain);
    expect(out.stderr).toBe('Scanned 4 files (skipped 2: 1 too large, 1 binary); found 3 secrets.\n');
  });

  it('shows the secrets in full only when asked, in a table for people', async () => {
    const { cli, out } = io();
    expect(await run(['scan', join(tree, 'config.yaml'), '--show-secrets'], cli)).toBe(1);
    expect(out.stdout).toContain(plain);
    expect(out.stdout.split('\n')[0]).toMatch(/File +\| +Line +\| +Column +\| +Secret +\| +Confidence +\| +Encoding +\| +Key/);
  });

  it('reads standard input with -, and exits 0 with nothing found', async () => {
    const piped = io(`+ export SECRET=${plain}\n`);
    expect(await run(['scan', '-', '-o', 'json'], piped.cli)).toBe(1);
    expect(JSON.parse(piped.out.stdout)).toMatchObject([{ file: '(stdin)', line: 1, column: 17 }]);
    const clean = io('nothing here\n');
    expect(await run(['scan', '-'], clean.cli)).toBe(0);
    expect(clean.out).toEqual({ stdout: '', stderr: 'Scanned 1 file; found 0 secrets.\n' });
  });

  it('answers a path that does not exist, and a bad size, with a usage error', async () => {
    const missing = io();
    expect(await run(['scan', join(root, 'nope')], missing.cli)).toBe(2);
    expect(missing.out.stderr).toBe(`keyplane: error: ${join(root, 'nope')} does not exist\n`);
    const size = io();
    expect(await run(['scan', tree, '--max-file-size', 'lots'], size.cli)).toBe(2);
  });
});
