/**
 * Audit log figures, printed; asserts nothing. Run: `node --import tsx bench/audit.ts`.
 *
 * 1. Management calls per second with the audit log on and off: two server processes on
 *    embedded SQLite (KEYPLANE_AUDIT=off for the second), measured with wrk (Debian package),
 *    interleaved, median of several runs, and the ratio on/off.
 * 2. Authentication events absorbed per second: events handed to the recorder as the request
 *    path hands them, until all are written, on SQLite and (when it answers) on PostgreSQL.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditRecorder } from '../src/audit/recorder.js';
import { crnsFor } from '../src/domain/crn.js';
import { openStore } from '../src/server.js';
import { createAuditTrail } from '../src/services/audit-log.js';
import { createTestSchema } from '../test/support/postgres.js';
import { postgresAvailability } from '../test/support/postgres-probe.js';
import { startServer } from '../test/support/process.js';
import { median, runWrk, summarise, type WrkFigures, wrkInstalled } from './lib/wrk.js';

const RUNS = 5;
const SECONDS = 4;
const EVENTS = 200_000;

const root = mkdtempSync(join(tmpdir(), 'keyplane-bench-audit-'));
const lines: string[] = [`node ${process.version}; ${new Date().toISOString()}`];

async function server(name: string, audit: 'on' | 'off') {
  const dataDir = join(root, name);
  const process_ = await startServer({
    KEYPLANE_DATA_DIR: dataDir,
    KEYPLANE_AUDIT: audit,
    KEYPLANE_QUOTAS: 'iam.max_service_accounts.per_org=100000000',
    KEYPLANE_RATE_LIMIT_PER_MINUTE: '1000000000',
    KEYPLANE_RATE_LIMIT_BURST: '1000000000',
  });
  const saved = readFileSync(join(dataDir, 'initial-admin.txt'), 'utf8');
  const key = /KEYPLANE_API_KEY=(\w+)/.exec(saved)![1]!;
  const secret = /KEYPLANE_API_SECRET=(\S+)/.exec(saved)![1]!;
  const script = join(root, `${name}.lua`);
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = '{"display_name":"bench","description":"bench"}'\nwrk.headers["Content-Type"] = "application/json"\n` +
      // Names must be new in every run: each run is a new wrk, whose counter and random numbers start over.
      `run = os.time()\ncounter = 0\nrequest = function()\n  counter = counter + 1\n  return wrk.format(nil, nil, nil, '{"display_name":"bench-' .. run .. '-' .. counter .. '","description":"bench"}')\nend\n`,
  );
  return { process: process_, key, secret, script, auth: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}` };
}

if (!wrkInstalled()) {
  lines.push('management throughput: wrk is not installed (apt-get install wrk); not measured');
} else {
  const on = await server('on', 'on');
  const off = await server('off', 'off');
  const cases: [string, (s: typeof on) => Promise<WrkFigures>][] = [
    ['GET /iam/v2/api-keys/{id}, 16 connections', (s) => runWrk({ url: `${s.process.url}/iam/v2/api-keys/${s.key}`, connections: 16, seconds: SECONDS, headers: { Authorization: s.auth } })],
    ['POST /iam/v2/service-accounts, 16 connections', (s) => runWrk({ url: `${s.process.url}/iam/v2/service-accounts`, connections: 16, seconds: SECONDS, headers: { Authorization: s.auth }, script: s.script })],
  ];
  lines.push(`management calls (embedded SQLite, wrk -t1 -d${SECONDS}s, median of ${RUNS} interleaved runs):`);
  for (const [label, run] of cases) {
    const figures = { on: [] as WrkFigures[], off: [] as WrkFigures[] };
    for (let i = 0; i < RUNS; i++) {
      figures.on.push(await run(on));
      figures.off.push(await run(off));
    }
    const a = summarise(figures.on);
    const b = summarise(figures.off);
    lines.push(
      `  ${label.padEnd(48)} audit on ${a.rps.toFixed(0).padStart(6)} req/s   off ${b.rps.toFixed(0).padStart(6)} req/s   on/off ${(a.rps / b.rps).toFixed(2)}` +
        `${a.errors + b.errors ? `   (${a.errors + b.errors} errors)` : ''}`,
    );
  }
  await on.process.stop();
  await off.process.stop();
}

/** Events per second from the first hand-over until the last is written, median of 3. */
async function absorb(label: string, databaseUrl: string, cleanup: () => Promise<void>): Promise<void> {
  const store = await openStore({ databaseUrl, databasePoolSize: 10 });
  try {
    const organization = (await store.list('organizations', {}, { limit: 1 })).items[0]?.id ?? 'bench-org';
    const crn = crnsFor(organization);
    const peppers = { current: 1, keys: new Map([[1, Buffer.alloc(32, 1)]]) };
    const rates: number[] = [];
    for (let run = 0; run < 3; run++) {
      const recorder = new AuditRecorder(store, createAuditTrail(peppers, crn.organization()), crn, { flushMs: 1_000, batchSize: 1_000, maxPending: EVENTS });
      const started = performance.now();
      const now = Date.now();
      for (let i = 0; i < EVENTS; i++) {
        recorder.authentications.authenticated({
          time: now,
          outcome: i % 10 === 0 ? 'failure' : 'success',
          keyId: `KEY${String(i % 5000).padStart(13, '0')}`,
          principalId: 'sa-bench1',
          resource: 'lkc-bench1',
          clientAddress: '10.0.0.1',
          via: 'nginx',
        });
      }
      const handedOver = performance.now() - started;
      await recorder.stop();
      const seconds = (performance.now() - started) / 1000;
      rates.push(EVENTS / seconds);
      if (recorder.authentications.dropped) lines.push(`  (${recorder.authentications.dropped} dropped)`);
      if (run === 0) lines.push(`  ${label}: handing ${EVENTS} events over took ${handedOver.toFixed(0)} ms (${((handedOver * 1e6) / EVENTS).toFixed(0)} ns each)`);
    }
    lines.push(`  ${label}: ${median(rates).toFixed(0)} authentication events written per second (median of 3 runs of ${EVENTS})`);
  } finally {
    await store.close();
    await cleanup();
  }
}

lines.push('authentication events absorbed (batches of 1,000, one transaction each):');
await absorb('SQLite', `sqlite:${join(root, 'absorb.db')}`, async () => {});
const postgres = await postgresAvailability();
if (postgres.ok) {
  const schema = await createTestSchema();
  await absorb('PostgreSQL', schema.url, () => schema.drop());
} else {
  lines.push(`  PostgreSQL: not measured (${postgres.reason})`);
}

rmSync(root, { recursive: true, force: true });
process.stdout.write(`${lines.join('\n')}\n`);
