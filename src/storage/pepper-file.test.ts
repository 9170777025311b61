import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreatePeppers } from './pepper-file.js';

const dir = mkdtempSync(join(tmpdir(), 'keyplane-pepper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs loadOrCreatePeppers in a separate process once the clock reaches `at`; prints the pepper. */
function racer(path: string, at: number): Promise<{ code: number | null; out: string; err: string }> {
  const script = `
    const { loadOrCreatePeppers } = await import(${JSON.stringify(new URL('./pepper-file.ts', import.meta.url).href)});
    while (Date.now() < ${at}) {}
    const p = loadOrCreatePeppers(${JSON.stringify(path)});
    process.stdout.write(p.keys.get(p.current).toString('base64'));
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d;
  });
  return new Promise((done) => child.on('exit', (code) => done({ code, out, err })));
}

describe('pepper file', () => {
  it('is created once, mode 0600, and read back the same', () => {
    const path = join(dir, 'one', 'pepper.json');
    const first = loadOrCreatePeppers(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = loadOrCreatePeppers(path);
    expect(again.keys.get(again.current)).toEqual(first.keys.get(first.current));
  });

  it('gives nodes that create one shared file at the same moment the same pepper', async () => {
    const path = join(dir, 'shared', 'pepper.json');
    // Loading tsx takes a while; every racer waits for the same instant well after that.
    const at = Date.now() + 3000;
    const results = await Promise.all(Array.from({ length: 4 }, () => racer(path, at)));
    for (const r of results) expect(r.code, r.err).toBe(0);
    expect(new Set(results.map((r) => r.out)).size).toBe(1);
    expect(readdirSync(join(dir, 'shared'))).toEqual(['pepper.json']);
  });
});
