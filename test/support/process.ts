import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/** Runs `keyplane server start` as `npm start` does; without `startServer`, just its exit. */
export function runServer(
  env: Record<string, string>,
  args: string[] = [],
): { child: ChildProcess; out: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['bin/keyplane.js', 'server', 'start', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KEYPLANE_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => {
    out.stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out.stderr += d.toString();
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, out, exited };
}

/** Starts the server and resolves once it logs that it listens. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const { child, out, exited } = runServer(env);
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start: ${out.stdout}\n${out.stderr}`)), 20_000);
    child.stdout!.on('data', () => {
      const match = /"msg":"listening","url":"([^"]+)"/.exec(out.stdout);
      if (match) {
        clearTimeout(timer);
        done(match[1]!);
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code}: ${out.stderr}`));
    });
  });
  return {
    child,
    url,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
