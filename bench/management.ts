/**
 * Management API figures on embedded SQLite, measured with wrk (Debian package `wrk`) against
 * a server process started as `npm start` starts it: API key creations per second on one
 * connection and on 50, and authenticated GETs of one key. Medians of several runs; asserts
 * nothing. Run: `node --import tsx bench/management.ts`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIST_TOTAL_CAP } from '../src/storage/store.js';
import { startServer } from '../test/support/process.js';
import { repeat, runWrk, summarise, type WrkFigures, wrkInstalled } from './lib/wrk.js';

const RUNS = 3;
const SECONDS = 5;

if (!wrkInstalled()) {
  process.stdout.write('bench/management: wrk is not installed (apt-get install wrk); nothing measured\n');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'keyplane-bench-'));
const server = await startServer({
  KEYPLANE_DATA_DIR: dir,
  KEYPLANE_LOG_LEVEL: 'info',
  KEYPLANE_QUOTAS: 'iam.max_cloud_api_keys.per_user=100000000,iam.max_cloud_api_keys.per_org=100000000',
  // wrk sends thousands of requests a second with one key: the rate limit would measure itself.
  KEYPLANE_RATE_LIMIT_PER_MINUTE: '1000000000',
  KEYPLANE_RATE_LIMIT_BURST: '1000000000',
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

function wrk(connections: number, url: string, lua?: string): Promise<WrkFigures> {
  return runWrk({ url, connections, seconds: SECONDS, headers: { Authorization: auth }, ...(lua ? { script: lua } : {}) });
}

async function measure(label: string, run: () => Promise<WrkFigures>): Promise<string> {
  const m = summarise(await repeat(RUNS, run));
  return `${label.padEnd(44)} ${m.rps.toFixed(0).padStart(7)} req/s   p50 ${m.p50.toFixed(2)} ms   p99 ${m.p99.toFixed(2)} ms${m.errors ? `   (${m.errors} errors)` : ''}`;
}

const lines = [
  `node ${process.version}, embedded SQLite, wrk -t1 -d${SECONDS}s, median of ${RUNS} runs`,
  await measure('POST /iam/v2/api-keys, 1 connection', () => wrk(1, `${server.url}/iam/v2/api-keys`, script)),
  await measure('POST /iam/v2/api-keys, 50 connections', () => wrk(50, `${server.url}/iam/v2/api-keys`, script)),
  await measure('GET /iam/v2/api-keys/{id}, 32 connections', () => wrk(32, `${server.url}/iam/v2/api-keys/${key}`)),
];
const total = (await (await fetch(`${server.url}/iam/v2/api-keys?page_size=1`, { headers: { authorization: auth } })).json()) as {
  metadata: { total_size?: number };
};
// Lists leave the total out past LIST_TOTAL_CAP rows.
lines.push(`${total.metadata.total_size ?? `more than ${LIST_TOTAL_CAP}`} keys in the database at the end`, '');
process.stdout.write(lines.join('\n'));
await server.stop();
rmSync(dir, { recursive: true, force: true });
