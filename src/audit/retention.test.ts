import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAuditEvents, type AuditTrail, createAuditTrail } from '../services/audit-log.js';
import { openSqliteStore } from '../storage/sqlite/open-sqlite.js';
import type { Row, Store } from '../storage/store.js';
import { type BrokenLink, ChainVerifier } from './chain.js';
import type { AuditDraft } from './cloud-event.js';
import { deleteAuditEventsBefore, startAuditRetention } from './retention.js';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const now = new Date('2031-06-01T00:00:00.000Z');
const peppers = { current: 1, keys: new Map([[1, randomBytes(32)]]) };

let store: Store;
beforeEach(async () => {
  store = await openSqliteStore(':memory:');
});
afterEach(() => store.close());

function draft(time: number, method = 'GetAPIKeys'): AuditDraft {
  return {
    type: 'io.confluent.cloud/request',
    time,
    data: {
      serviceName: 'crn://confluent.cloud/',
      methodName: method,
      resourceName: 'crn://confluent.cloud/organization=o',
      authenticationInfo: { principal: 'User:u-abc123', metadata: { mechanism: 'HTTP_BASIC', identifier: 'KEY' } },
      requestMetadata: {},
      result: { status: 'SUCCESS' },
    },
  };
}

/** Appends one event per time, one transaction each, as a node would over time. */
async function record(trail: AuditTrail, times: readonly number[]): Promise<void> {
  for (const time of times) await appendAuditEvents(store, trail, [draft(time)]);
}

async function all<T extends 'auditEvents' | 'auditChains'>(table: T): Promise<Row<T>[]> {
  return (await store.list(table, {}, { limit: 10_000, total: false })).items;
}

/** What `keyplane audit verify` does: every chain's events in order, then every head. */
async function verify(trailKey: AuditTrail['key']): Promise<{ broken: BrokenLink | undefined; checked: number }> {
  const verifier = new ChainVerifier(trailKey);
  const events = (await all('auditEvents')).sort((a, b) => a.chainId.localeCompare(b.chainId) || a.seq - b.seq);
  for (const e of events) {
    const broken = verifier.push(e);
    if (broken) return { broken, checked: verifier.checked };
  }
  for (const head of await all('auditChains')) {
    const broken = verifier.checkHead(head.id, head.seq, head.hash);
    if (broken) return { broken, checked: verifier.checked };
  }
  return { broken: undefined, checked: verifier.checked };
}

const daysAgo = (days: number, plus = 0) => now.getTime() - days * DAY + plus;
const cutoff365 = new Date(now.getTime() - 365 * DAY).toISOString();

describe('audit retention', () => {
  it('deletes events older than the cutoff and the heads of chains with nothing newer; what is left still verifies', async () => {
    const gone = createAuditTrail(peppers, 'crn://confluent.cloud/organization=o');
    const kept = { ...createAuditTrail(peppers, 'crn://confluent.cloud/organization=o'), chainId: 'chain-kept' };
    await record(gone, [daysAgo(500), daysAgo(499), daysAgo(400)]);
    await record(kept, [daysAgo(450), daysAgo(420), daysAgo(366), daysAgo(364), daysAgo(10), daysAgo(1)]);

    expect(await deleteAuditEventsBefore(store, cutoff365)).toEqual({ events: 6, chains: 1 });

    const left = await all('auditEvents');
    expect(left.map((e) => [e.chainId, e.seq])).toEqual([
      ['chain-kept', 4],
      ['chain-kept', 5],
      ['chain-kept', 6],
    ]);
    expect((await all('auditChains')).map((c) => c.id)).toEqual(['chain-kept']);
    expect(await verify(kept.key)).toEqual({ broken: undefined, checked: 3 });

    // The chain goes on from its head, and still verifies.
    await record(kept, [daysAgo(0)]);
    expect(await verify(kept.key)).toEqual({ broken: undefined, checked: 4 });
  });

  it('leaves a verifier that still finds a missing event in what is left', async () => {
    const trail = createAuditTrail(peppers, 'crn://confluent.cloud/organization=o');
    await record(trail, [daysAgo(400), daysAgo(3), daysAgo(2), daysAgo(1)]);
    await deleteAuditEventsBefore(store, cutoff365);
    const [, middle] = await all('auditEvents');
    await store.delete('auditEvents', middle!.id);
    expect((await verify(trail.key)).broken?.problem).toMatch(/events are missing/);
  });

  it('deletes many hours of old events, a window at a time, and nothing newer', async () => {
    const trail = createAuditTrail(peppers, 'crn://confluent.cloud/organization=o');
    const old = Array.from({ length: 40 }, (_, i) => daysAgo(370, i * 3 * HOUR + i));
    await record(trail, [...old, daysAgo(365, 1), daysAgo(5)]);
    expect(await deleteAuditEventsBefore(store, cutoff365)).toEqual({ events: 40, chains: 0 });
    expect((await all('auditEvents')).map((e) => e.seq)).toEqual([41, 42]);
    expect(await verify(trail.key)).toEqual({ broken: undefined, checked: 2 });
  });

  it('runs as a job at start, on the clock it is given, and reports what it deleted', async () => {
    const trail = createAuditTrail(peppers, 'crn://confluent.cloud/organization=o');
    await record(trail, [daysAgo(40), daysAgo(31), daysAgo(29)]);
    const deleted: unknown[] = [];
    const job = startAuditRetention(store, {
      retentionDays: 30,
      intervalMs: 24 * HOUR,
      now: () => now,
      onDeleted: (d) => deleted.push(d),
    });
    await job.stop();
    expect(deleted).toEqual([{ events: 2, chains: 0 }]);
    expect((await all('auditEvents')).map((e) => e.seq)).toEqual([3]);
    // Nothing more to delete: nothing reported.
    expect(await job.run()).toEqual({ events: 0, chains: 0 });
    expect(deleted).toHaveLength(1);
  });

  it('reports a failed run and resolves, so the next run tries again', async () => {
    const errors: unknown[] = [];
    const job = startAuditRetention(store, { retentionDays: 1, intervalMs: 24 * HOUR, now: () => now, onError: (e) => errors.push(e) });
    await job.stop();
    await store.close();
    expect(await job.run()).toBeUndefined();
    expect(errors).toHaveLength(1);
    store = await openSqliteStore(':memory:');
  });
});
