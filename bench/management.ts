/**
 * Management API figures on embedded SQLite, measured with wrk (Debian package `wrk`) against
 * a server process started as `npm start` starts it: API key creations per second on one
 * connection and on 50, and authenticated GETs of one key. Medians of several runs; asserts
 * nothing. Run: `node --import tsx bench/management.ts`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../test/support/process.js';

const RUNS = 3;
const SECONDS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (error) {
  // wrk prints its version and exits 1; a missing binary has no status.
  if ((error as { status?: number }).status !== 1) {
    process.stdout.write('bench/management: wrk is not installed (apt-get install wrk); nothing measured\n');
    process.exit(0);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'keyplane-bench-'));
const server = await startServer({
  KEYPLANE_DATA_DIR: dir,
  KEYPLANE_LOG_LEVEL: 'info',
  KEYPLANE_QUOTAS: 'iam.max_cloud_api_keys.per_user=100000000,iam.max_cloud_api_keys.per_org=100000000',
});
const saved = readFileSync(join(dir, 'initial-admin.txt'), 'utf8');
const key = /KEYPLANE_API_KEY=(\w+)/.exec(saved)![1]!;
const secret = /KEYPLANE_API_SECRET=(\S+)/.exec(saved)![1]!;
const owner = /Admin user (u-\w+)/.exec(saved)![1]!;
const auth = `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
const script = join(dir, 'create.lua');
writeFileSync(
  script,
  `wrk.method = "POST"\nwrk.body = '{"spec":{"owner":{"id":"${owner}"},"description":"bench"}}'\nwrk.headers["Content-Type"] = "application/json"\n`,
);

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

function ms(value: string, unit: string): number {
  return Number(value) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);
}

function wrk(connections: number, url: string, extra: string[] = []): Figures {
  const out = execFileSync('wrk', [
    '-t1',
    `-c${connections}`,
    `-d${SECONDS}s`,
    '--latency',
    '-H',
    `Authorization: ${auth}`,
    ...extra,
    url,
  ]).toString();
  const p50 = /50%\s+([\d.]+)(us|ms|s)/.exec(out)!;
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out)!;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p50: ms(p50[1]!, p50[2]!),
    p99: ms(p99[1]!, p99[2]!),
    errors: non2xx + (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
  };
}

function measure(label: string, run: () => Figures): string {
  const runs = Array.from({ length: RUNS }, run);
  const errors = runs.reduce((a, r) => a + r.errors, 0);
  return `${label.padEnd(44)} ${median(runs.map((r) => r.rps)).toFixed(0).padStart(7)} req/s   p50 ${median(runs.map((r) => r.p50)).toFixed(2)} ms   p99 ${median(runs.map((r) => r.p99)).toFixed(2)} ms${errors ? `   (${errors} errors)` : ''}`;
}

const lines = [
  `node ${process.version}, embedded SQLite, wrk -t1 -d${SECONDS}s, median of ${RUNS} runs`,
  measure('POST /iam/v2/api-keys, 1 connection', () => wrk(1, `${server.url}/iam/v2/api-keys`, ['-s', script])),
  measure('POST /iam/v2/api-keys, 50 connections', () => wrk(50, `${server.url}/iam/v2/api-keys`, ['-s', script])),
  measure('GET /iam/v2/api-keys/{id}, 32 connections', () => wrk(32, `${server.url}/iam/v2/api-keys/${key}`)),
];
const total = (await (await fetch(`${server.url}/iam/v2/api-keys?page_size=1`, { headers: { authorization: auth } })).json()) as {
  metadata: { total_size: number };
};
lines.push(`${total.metadata.total_size} keys in the database at the end`, '');
process.stdout.write(lines.join('\n'));
await server.stop();
rmSync(dir, { recursive: true, force: true });
