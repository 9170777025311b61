import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { newApiKeyId } from '../../src/domain/ids.js';
import { newSecret } from '../../src/domain/secret.js';
import { repoRoot, type ServerProcess, startServer } from './process.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The HOME the command runs with: its ~/.keyplane/config.json is the login. */
  home: string;
  env?: Record<string, string>;
  /** Written to standard input, which is then closed; without it stdin is /dev/null. */
  input?: string;
}

const BIN = join(repoRoot, 'bin', 'keyplane.js');

/** Runs `keyplane <args>` as a user would: a process of its own, with a clean environment. */
export function keyplane(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.home,
    env: { PATH: process.env.PATH ?? '', HOME: options.home, ...options.env },
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  return collect(child);
}

function collect(child: ReturnType<typeof spawn>): Promise<CliResult> {
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => {
    out.stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out.stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...out }));
  });
}

/**
 * Runs `keyplane <args>` in a pseudo-terminal (util-linux `script`), so that it asks its
 * questions; `answers` are typed one line at a time, each once the output so far contains the
 * text it waits for. The terminal echoes what is typed, so it appears in `stdout`.
 */
export function inTerminal(
  args: readonly string[],
  options: CliOptions & { answers: readonly { after: string; type: string }[] },
): Promise<CliResult> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    cwd: options.home,
    env: { PATH: process.env.PATH ?? '', HOME: options.home, TERM: 'dumb', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pending = [...options.answers];
  let seen = '';
  child.stdout!.on('data', (d: Buffer) => {
    seen += d.toString();
    while (pending.length && seen.includes(pending[0]!.after)) {
      seen = seen.slice(seen.indexOf(pending[0]!.after) + pending[0]!.after.length);
      child.stdin!.write(`${pending.shift()!.type}\r`);
    }
  });
  return collect(child).then((result) => ({ ...result, stdout: result.stdout.replace(/\r+\n/g, '\n') }));
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

export interface CliServer {
  server: ServerProcess;
  url: string;
  /** The bootstrap admin's Cloud API key. */
  adminKey: string;
  adminSecret: string;
  /** A new HOME directory, removed by stop(). */
  home(): string;
  /** A new HOME logged in as the admin. */
  loggedInHome(): Promise<string>;
  /** A REST call as the admin, for setting up what a test needs; throws on a non-2xx answer. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** A real server on a free port with a known admin key, and HOME directories to run the CLI in. */
export async function startCliServer(env: Record<string, string> = {}): Promise<CliServer> {
  const root = mkdtempSync(join(tmpdir(), 'keyplane-cli-e2e-'));
  const adminKey = newApiKeyId((n) => randomBytes(n));
  const adminSecret = newSecret((n) => randomBytes(n));
  const server = await startServer({
    KEYPLANE_DATA_DIR: join(root, 'data'),
    KEYPLANE_BOOTSTRAP_KEY: adminKey,
    KEYPLANE_BOOTSTRAP_SECRET: adminSecret,
    ...env,
  });
  let homes = 0;
  const home = () => mkdtempSync(join(root, `home-${++homes}-`));
  return {
    server,
    url: server.url,
    adminKey,
    adminSecret,
    home,
    async loggedInHome() {
      const dir = home();
      const login = await keyplane(['login', '--url', server.url], {
        home: dir,
        env: { KEYPLANE_API_KEY: adminKey, KEYPLANE_API_SECRET: adminSecret },
      });
      if (login.code !== 0) throw new Error(`login failed: ${login.stderr}`);
      return dir;
    },
    async api<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(new URL(path, server.url), {
        method,
        headers: {
          authorization: `Basic ${Buffer.from(`${adminKey}:${adminSecret}`).toString('base64')}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async stop() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface CliSuite {
  readonly kp: CliServer;
  /** A HOME logged in to the server as the admin. */
  readonly home: string;
  /** `keyplane <args>` in that HOME. */
  run(args: readonly string[], options?: { input?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** `keyplane <args> -o json`, which must succeed with nothing on stderr; its answer parsed. */
  json<T>(args: readonly string[]): Promise<T>;
}

/** What a CLI test file starts with: one server for the file, and a HOME logged in to it. */
export function cliSuite(env: Record<string, string> = {}): CliSuite {
  let server: CliServer | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    server = await startCliServer(env);
    dir = await server.loggedInHome();
  });
  afterAll(() => server?.stop());
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the CLI server starts in beforeAll');
    return value;
  };
  const suite: CliSuite = {
    get kp() {
      return started(server);
    },
    get home() {
      return started(dir);
    },
    run: (args, options = {}) => keyplane(args, { home: suite.home, ...options }),
    async json<T>(args: readonly string[]): Promise<T> {
      const result = await suite.run([...args, '-o', 'json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout) as T;
    },
  };
  return suite;
}

/**
 * Text whose list tables have their rows in an order that does not depend on random ids: sorted by
 * what is left of each row once ids, key ids and times are taken out.
 */
function sortedRows(text: string): string {
  const lines = text.split('\n');
  const volatile = (row: string) => row.replace(/\b[A-Z0-9]{16}\b|\b[a-z]+-[a-z0-9]{5,10}\b|\d{4}-\d\d-\d\dT[\d:.]+Z/g, '');
  for (let i = 0; i < lines.length; i++) {
    if (!/^-{3,}(\+-{3,})*$/.test(lines[i]!)) continue;
    let end = i + 1;
    while (end < lines.length && lines[end]!.startsWith('  ')) end++;
    const rows = lines.slice(i + 1, end).sort((a, b) => volatile(a).localeCompare(volatile(b)));
    lines.splice(i + 1, rows.length, ...rows);
    i = end;
  }
  return lines.join('\n');
}

/**
 * Output with the values that change from run to run (ids, UUIDs, key ids, secrets, times, the port)
 * replaced by stable placeholders of the same length, numbered in order of appearance, so that
 * tables keep their alignment in snapshots and one value keeps one placeholder throughout; list
 * rows are sorted first, so that their order does not depend on random ids either.
 */
export function stable(text: string): string {
  const seen = new Map<string, string>();
  const counters = new Map<string, number>();
  const placeholder = (kind: string, value: string, make: (n: number) => string) => {
    const known = seen.get(value);
    if (known) return known;
    const n = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, n);
    const made = make(n);
    seen.set(value, made);
    return made;
  };
  const numbered = (prefix: string, length: number) => (n: number) => prefix + String(n).padStart(length - prefix.length, '0');
  return sortedRows(text)
    .replace(/cflt[A-Za-z0-9+/]{60}/g, (s) => placeholder('secret', s, numbered('cfltSECRET', s.length)))
    .replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\b/g, (t) => placeholder('time', t, (n) => `2026-01-01T00:${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}${t.slice(19).replace(/\d/g, '0')}`))
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, (uuid) =>
      placeholder('uuid', uuid, (n) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`),
    )
    .replace(/127\.0\.0\.1:(\d+)/g, (_, port: string) => `127.0.0.1:${'P'.repeat(port.length)}`)
    .replace(/\b(u|sa|env|lkc|lsrc|lksqlc|rb|i|acl)-[a-z0-9]{5,10}\b/g, (id) => {
      const prefix = id.slice(0, id.indexOf('-') + 1);
      return placeholder(prefix, id, numbered(prefix, id.length));
    })
    .replace(/\b[A-Z0-9]{16}\b/g, (key) => placeholder('key', key, numbered('KEY', 16)));
}

