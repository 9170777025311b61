import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyplane } from '../../../test/support/cli.js';
import { repoRoot } from '../../../test/support/process.js';

const root = mkdtempSync(join(tmpdir(), 'keyplane-server-start-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('keyplane server start', () => {
  it('shows the first admin secret on a terminal, once, and saves it', async () => {
    const dataDir = join(root, 'tty');
    // util-linux `script` gives the server a terminal for its standard output.
    const command = `${process.execPath} bin/keyplane.js server start --port 0 --data-dir ${dataDir}`;
    const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: root, TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no listening line: ${out}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"msg":"listening"')) {
          clearTimeout(timer);
          done();
        }
      });
    });
    child.stdin!.write('\u0003');
    await new Promise((done) => child.on('close', done));
    const secret = /KEYPLANE_API_SECRET=(\S+)/.exec(readFileSync(join(dataDir, 'initial-admin.txt'), 'utf8'))![1]!;
    expect(out).toContain(`API Secret: ${secret}`);
    expect(out).toContain('It will not be printed again.');
  });

  it('hands over the first admin key even when it then cannot listen', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const { port } = blocker.address() as { port: number };
    try {
      const dataDir = join(root, 'busy');
      const start = await keyplane(['server', 'start', '--port', String(port), '--data-dir', dataDir], { home: root });
      expect(start.code).toBe(1);
      expect(start.stderr).toBe(`keyplane: error: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n`);
      expect(readFileSync(join(dataDir, 'initial-admin.txt'), 'utf8')).toMatch(/KEYPLANE_API_SECRET=cflt/);
    } finally {
      await new Promise((done) => blocker.close(done));
    }
  });
});
