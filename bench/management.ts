/**
 * Management API figures on embedded SQLite: API key creations per second (one at a time and
 * 50 in flight) and authenticated GETs of one key (wrk when installed, else a fetch loop).
 * Prints medians of several runs; asserts nothing. Run: `node --import tsx bench/management.ts`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../test/support/process.js';

const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The server runs as its own process, as `npm start` runs it, so client and server do not
// share an event loop.
const dir = mkdtempSync(join(tmpdir(), 'keyplane-bench-'));
const server = await startServer({
  KEYPLANE_DATA_DIR: dir,
  KEYPLANE_LOG_LEVEL: 'info',
  KEYPLANE_QUOTAS: 'iam.max_cloud_api_keys.per_service_account=1000000,iam.max_cloud_api_keys.per_org=1000000',
});
const saved = readFileSync(join(dir, 'initial-admin.txt'), 'utf8');
const admin = {
  key: /KEYPLANE_API_KEY=(\w+)/.exec(saved)![1]!,
  secret: /KEYPLANE_API_SECRET=(\S+)/.exec(saved)![1]!,
};
const auth = `Basic ${Buffer.from(`${admin.key}:${admin.secret}`).toString('base64')}`;
const headers = { authorization: auth, 'content-type': 'application/json' };

const sa = (await (
  await fetch(`${server.url}/iam/v2/service-accounts`, { method: 'POST', headers, body: JSON.stringify({ display_name: 'bench' }) })
).json()) as { id: string };
const createBody = JSON.stringify({ spec: { owner: { id: sa.id }, description: 'bench' } });
const create = async () => {
  const res = await fetch(`${server.url}/iam/v2/api-keys`, { method: 'POST', headers, body: createBody });
  if (res.status !== 202) throw new Error(`create answered ${res.status}`);
  await res.arrayBuffer();
};

async function rate(total: number, concurrency: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await create();
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

await rate(200, 10);
const sequential: number[] = [];
const concurrent: number[] = [];
for (let i = 0; i < RUNS; i++) {
  sequential.push(await rate(500, 1));
  concurrent.push(await rate(1000, 50));
}

let getFigures = '';
const target = `${server.url}/iam/v2/api-keys/${admin.key}`;
let hasWrk = true;
try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (error) {
  hasWrk = (error as { status?: number }).status === 1;
}
if (hasWrk) {
  const reqs: number[] = [];
  const p99s: number[] = [];
  for (let i = 0; i < 3; i++) {
    const out = execFileSync('wrk', ['-t1', '-c32', '-d5s', '--latency', '-H', `Authorization: ${auth}`, target]).toString();
    reqs.push(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]));
    const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out)!;
    p99s.push(Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1));
  }
  getFigures = `authenticated GET (wrk -t1 -c32, 3 runs): median ${median(reqs).toFixed(0)} req/s, p99 ${median(p99s).toFixed(2)} ms`;
} else {
  getFigures = 'authenticated GET: wrk not installed (apt-get install wrk), skipped';
}

const keys = (await (await fetch(`${server.url}/iam/v2/api-keys?page_size=1`, { headers })).json()) as {
  metadata: { total_size: number };
};
process.stdout.write(
  [
    `node ${process.version}, SQLite, ${keys.metadata.total_size} keys at the end`,
    `key creations over HTTP, one at a time (${RUNS} runs of 500): median ${median(sequential).toFixed(0)}/s`,
    `key creations over HTTP, 50 in flight (${RUNS} runs of 1000): median ${median(concurrent).toFixed(0)}/s`,
    getFigures,
    '',
  ].join('\n'),
);
await server.stop();
rmSync(dir, { recursive: true, force: true });
