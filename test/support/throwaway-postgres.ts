import { execFile, execFileSync } from 'node:child_process';
import { accessSync, appendFileSync, chownSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { describePostgres, postgresRequired } from './postgres.js';

/**
 * A private PostgreSQL cluster that a test may stop, crash and start again, which the shared
 * test server must never be. Binaries come from KEYPLANE_TEST_PG_BIN, else the newest
 * /usr/lib/postgresql/<version>/bin, else PATH.
 */
export interface ThrowawayPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres; the same across restarts. */
  readonly url: string;
  readonly port: number;
  /** The temporary directory holding the cluster, its socket and its log. */
  readonly dir: string;
  readonly running: boolean;
  start(): Promise<void>;
  /** `fast` disconnects clients and shuts down cleanly; `immediate` kills the server as a crash would. */
  stop(mode?: StopMode): Promise<void>;
  restart(mode?: StopMode): Promise<void>;
  /**
   * Freezes the server (SIGSTOP to the postmaster and every backend) as a network partition or a
   * hung host would: connections stay open and new ones are queued, but nothing answers.
   */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
  readonly paused: boolean;
  /** The server's own log, for diagnosing a failed start. */
  log(): string;
  /** Stops the server if it runs and removes the directory. */
  destroy(): Promise<void>;
}

export type StopMode = 'fast' | 'immediate';

const TOOLS = ['initdb', 'pg_ctl', 'postgres'] as const;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasTools(dir: string): boolean {
  return TOOLS.every((tool) => executable(join(dir, tool)));
}

function candidateDirs(): string[] {
  const explicit = process.env.KEYPLANE_TEST_PG_BIN;
  if (explicit) return [explicit];
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => /^\d+(\.\d+)?$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return [...versions.map((v) => join(base, v, 'bin')), ...(process.env.PATH ?? '').split(':').filter(Boolean)];
}

const isRoot = process.getuid?.() === 0;

/** Where initdb, pg_ctl and postgres are, or why a throwaway cluster cannot be made here. */
export function throwawayPostgresBinaries(): { ok: true; bin: string } | { ok: false; reason: string } {
  const bin = candidateDirs().find(hasTools);
  if (!bin) {
    const looked = process.env.KEYPLANE_TEST_PG_BIN ?? '/usr/lib/postgresql/*/bin and PATH';
    return { ok: false, reason: `PostgreSQL server binaries (${TOOLS.join(', ')}) not found in ${looked}; set KEYPLANE_TEST_PG_BIN` };
  }
  if (isRoot && postgresUser() === undefined) {
    return { ok: false, reason: 'running as root, and initdb refuses root, but there is no "postgres" OS user to run it as' };
  }
  if (isRoot && !executable('/usr/sbin/runuser') && !executable('/sbin/runuser') && !executable('/usr/bin/runuser')) {
    return { ok: false, reason: 'running as root, and initdb refuses root, but runuser is missing' };
  }
  return { ok: true, bin };
}

let cachedUser: { uid: number; gid: number } | null | undefined;

function postgresUser(): { uid: number; gid: number } | undefined {
  if (cachedUser === undefined) {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('postgres:'));
    const [, , uid, gid] = line?.split(':') ?? [];
    cachedUser = uid && gid ? { uid: Number(uid), gid: Number(gid) } : null;
  }
  return cachedUser ?? undefined;
}

/** A port nobody listens on right now (the kernel picks it; the tiny race is acceptable in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

/** Runs a PostgreSQL tool, as the postgres OS user when this process is root. */
function run(bin: string, tool: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<string> {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
  return new Promise((resolve, reject) => {
    execFile(
      file,
      argv,
      { cwd, timeout: timeoutMs, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${tool} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
        else resolve(stdout + stderr);
      },
    );
  });
}

/** The processes whose parent is `pid` (a postmaster's backends and helpers), from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …; comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

const live = new Set<{ bin: string; data: string; dir: string; resume(): void }>();
let exitHookInstalled = false;

/** A test runner that dies mid-test must not leave a postgres behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const cluster of live) {
      cluster.resume();
      const argv = ['-D', cluster.data, '-m', 'immediate', '-w', 'stop'];
      try {
        if (isRoot) execFileSync('runuser', ['-u', 'postgres', '--', join(cluster.bin, 'pg_ctl'), ...argv], { stdio: 'ignore', cwd: cluster.dir });
        else execFileSync(join(cluster.bin, 'pg_ctl'), argv, { stdio: 'ignore', cwd: cluster.dir });
      } catch {
        // Best effort on the way out.
      }
    }
  });
}

/**
 * Makes a new cluster in a temporary directory (initdb, a few seconds) without starting it:
 * trust authentication, 127.0.0.1 on a free port, its socket inside the directory, fsync off.
 */
export async function createThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const binaries = throwawayPostgresBinaries();
  if (!binaries.ok) throw new Error(`cannot make a throwaway PostgreSQL: ${binaries.reason}`);
  const { bin } = binaries;
  const dir = mkdtempSync(join(tmpdir(), 'keyplane-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const owner = isRoot ? postgresUser()! : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const port = await freePort();
  const cluster = { bin, data, dir, resume: () => handle.resume() };
  let running = false;
  let frozen: number[] = [];

  try {
    await run(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C', '--no-instructions'], dir);
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        '',
        '# throwaway test cluster',
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        `unix_socket_directories = '${dir}'`,
        'fsync = off',
        'full_page_writes = off',
        'shared_buffers = 16MB',
        'max_connections = 50',
        '',
      ].join('\n'),
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const pgCtl = (args: string[]) => run(bin, 'pg_ctl', ['-D', data, ...args], dir);
  const readLog = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  const handle: ThrowawayPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    get running() {
      return running;
    },
    async start() {
      if (running) return;
      installExitHook();
      live.add(cluster);
      try {
        await pgCtl(['-l', logFile, '-w', '-t', '30', 'start']);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- postgres.log ---\n${readLog().slice(-4000)}`);
      }
      running = true;
    },
    async stop(mode: StopMode = 'fast') {
      if (!running) return;
      handle.resume();
      await pgCtl(['-m', mode, '-w', '-t', '30', 'stop']);
      running = false;
      live.delete(cluster);
    },
    async restart(mode: StopMode = 'fast') {
      await handle.stop(mode);
      await handle.start();
    },
    get paused() {
      return frozen.length > 0;
    },
    pause() {
      if (!running) throw new Error('the throwaway PostgreSQL is not running');
      if (frozen.length > 0) return;
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      // The postmaster first, so that it forks no backend after the children are listed.
      process.kill(postmaster, 'SIGSTOP');
      frozen = [postmaster];
      for (const pid of childrenOf(postmaster)) {
        try {
          process.kill(pid, 'SIGSTOP');
          frozen.push(pid);
        } catch {
          // A backend whose client just disconnected may be gone already.
        }
      }
    },
    resume() {
      for (const pid of frozen) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // A backend that went away meanwhile needs nothing.
        }
      }
      frozen = [];
    },
    log: readLog,
    async destroy() {
      handle.resume();
      try {
        // Even when this handle thinks it stopped, a failed start may have left a server up.
        if (running || existsSync(join(data, 'postmaster.pid'))) await pgCtl(['-m', 'immediate', '-w', 'stop']).catch(() => {});
      } finally {
        running = false;
        live.delete(cluster);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return handle;
}

/**
 * `describe` for tests that need a throwaway cluster (and, through the harness, the shared test
 * PostgreSQL). Without the binaries they are skipped with the reason printed, unless
 * KEYPLANE_REQUIRE_POSTGRES=1, when they run and fail.
 */
export async function describeThrowawayPostgres(name: string, body: () => void): Promise<void> {
  const binaries = throwawayPostgresBinaries();
  if (!binaries.ok && !postgresRequired) {
    console.warn(`skipping "${name}": ${binaries.reason}`);
    describe.skip(name, body);
    return;
  }
  await describePostgres(name, body);
}
