import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { apiKeyRow } from '../../test/support/rows.js';
import type { AuthenticationEvent } from '../services/authentication-events.js';
import type { KyselyStore } from '../storage/kysely-store.js';
import type { ApiKey } from '../storage/schema.js';
import { openSqliteStore } from '../storage/sqlite/open-sqlite.js';
import { type LastUsedOptions, type LastUsedRecorder, startLastUsedRecorder } from './last-used.js';

const T0 = Date.UTC(2030, 0, 1, 12, 34, 0);
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

const row = (id: string, lastUsedAt: string | null = null): ApiKey => apiKeyRow(id, iso(T0 - 3_600_000), { lastUsedAt });

const used = (keyId: string | undefined, time: number, outcome: AuthenticationEvent['outcome'] = 'success'): AuthenticationEvent => ({
  time,
  outcome,
  via: 'verify',
  ...(keyId === undefined ? {} : { keyId }),
});

let store: KyselyStore;
let writes: MockInstance<KyselyStore['recordKeysUsed']>;
/** The recorder's timer: tests tick it by hand instead of waiting. */
let tick: () => void;
let timerStopped: boolean;
let errors: unknown[];
const recorders: LastUsedRecorder[] = [];

function start(options: Partial<LastUsedOptions> = {}): LastUsedRecorder {
  const recorder = startLastUsedRecorder(store, {
    onError: (error) => errors.push(error),
    every: (ms, fn) => {
      expect(ms).toBe(options.intervalMs ?? 15_000);
      tick = fn;
      return () => {
        timerStopped = true;
      };
    },
    ...options,
  });
  recorders.push(recorder);
  return recorder;
}

const lastUsed = async (id: string) => (await store.get('apiKeys', id))?.lastUsedAt;
/** The keys each write carried, with their times. */
const written = () => writes.mock.calls.map(([times]) => Object.fromEntries(times));

beforeEach(async () => {
  store = await openSqliteStore(':memory:');
  for (const id of ['K1', 'K2', 'K3', 'K4', 'K5']) await store.insert('apiKeys', row(id));
  writes = vi.spyOn(store, 'recordKeysUsed');
  timerStopped = false;
  errors = [];
});

afterEach(async () => {
  for (const recorder of recorders.splice(0)) await recorder.stop();
  await store.close();
});

describe('last-used recorder', () => {
  it('writes a use at the next tick, floored to the minute, and not before', async () => {
    const recorder = start();
    recorder.authenticated(used('K1', T0 + 56_789));
    await Promise.resolve();
    expect(writes).not.toHaveBeenCalled();
    expect(await lastUsed('K1')).toBeNull();
    tick();
    await recorder.flush();
    expect(await lastUsed('K1')).toBe(iso(T0));
    expect(written()).toEqual([{ K1: iso(T0) }]);
  });

  it('writes a key used 10,000 times within a minute once for that minute, however often it flushes', async () => {
    const recorder = start();
    for (let i = 0; i < 10_000; i++) {
      recorder.authenticated(used('K1', T0 + (i * MINUTE) / 10_000));
      if (i % 1000 === 999) tick();
      if (i % 2500 === 0) await recorder.flush();
    }
    await recorder.flush();
    expect(written()).toEqual([{ K1: iso(T0) }]);
    recorder.authenticated(used('K1', T0 + MINUTE + 5));
    recorder.authenticated(used('K2', T0 + MINUTE + 6));
    await recorder.flush();
    expect(written()).toEqual([{ K1: iso(T0) }, { K1: iso(T0 + MINUTE), K2: iso(T0 + MINUTE) }]);
    expect(await lastUsed('K1')).toBe(iso(T0 + MINUTE));
  });

  it('notes only successes that name a key, and never an earlier minute than one noted', async () => {
    const recorder = start();
    recorder.authenticated(used('K1', T0, 'failure'));
    recorder.authenticated(used(undefined, T0));
    recorder.authenticated(used('K2', Number.NaN));
    recorder.authenticated(used('K2', Date.UTC(10_000, 0, 1)));
    expect(recorder.pending).toBe(0);
    recorder.authenticated(used('K2', T0 + 5 * MINUTE));
    await recorder.flush();
    recorder.authenticated(used('K2', T0 + MINUTE));
    expect(recorder.pending).toBe(0);
    await recorder.flush();
    expect(written()).toEqual([{ K2: iso(T0 + 5 * MINUTE) }]);
  });

  it('leaves a later time another node wrote, and skips keys deleted before the write', async () => {
    await store.update('apiKeys', 'K1', { lastUsedAt: iso(T0 + 10 * MINUTE) });
    const recorder = start();
    recorder.authenticated(used('K1', T0));
    recorder.authenticated(used('K2', T0));
    recorder.authenticated(used('K3', T0));
    await store.delete('apiKeys', 'K3');
    await recorder.flush();
    expect(errors).toEqual([]);
    expect(await lastUsed('K1')).toBe(iso(T0 + 10 * MINUTE));
    expect(await lastUsed('K2')).toBe(iso(T0));
    expect(recorder.pending).toBe(0);
  });

  it('keeps a failed batch for the next attempt, reports the failure, and lets a newer minute win', async () => {
    const recorder = start();
    const down = new Error('database down');
    let fail: (error: Error) => void = () => {};
    writes.mockImplementationOnce(() => new Promise((_, reject) => (fail = reject)));
    recorder.authenticated(used('K1', T0));
    recorder.authenticated(used('K2', T0));
    const failed = recorder.flush();
    await vi.waitFor(() => expect(writes).toHaveBeenCalledTimes(1));
    recorder.authenticated(used('K1', T0 + 5));
    recorder.authenticated(used('K2', T0 + MINUTE));
    expect(recorder.pending).toBe(1);
    fail(down);
    await expect(failed).rejects.toBe(down);
    expect(errors).toEqual([down]);
    expect(recorder.pending).toBe(2);
    expect(await lastUsed('K1')).toBeNull();
    tick();
    await recorder.flush();
    expect(await lastUsed('K1')).toBe(iso(T0));
    expect(await lastUsed('K2')).toBe(iso(T0 + MINUTE));
    expect(written().at(-1)).toEqual({ K1: iso(T0), K2: iso(T0 + MINUTE) });
  });

  it('starts a write as soon as the pending keys reach their bound, without waiting for the tick', async () => {
    const recorder = start({ maxPending: 2 });
    recorder.authenticated(used('K1', T0));
    recorder.authenticated(used('K2', T0));
    await vi.waitFor(() => expect(writes).toHaveBeenCalledTimes(1));
    await recorder.flush();
    expect(written()).toEqual([{ K1: iso(T0), K2: iso(T0) }]);
    expect(await lastUsed('K2')).toBe(iso(T0));
  });

  it('stays within its bound while writes fail, dropping uses of further keys, and records them once they recur', async () => {
    const recorder = start({ maxPending: 2 });
    writes.mockRejectedValue(new Error('database down'));
    recorder.authenticated(used('K1', T0));
    recorder.authenticated(used('K2', T0));
    recorder.authenticated(used('K3', T0));
    await expect(recorder.flush()).rejects.toThrow('database down');
    recorder.authenticated(used('K4', T0));
    recorder.authenticated(used('K5', T0));
    expect(recorder.pending).toBeLessThanOrEqual(2);
    await expect(recorder.flush()).rejects.toThrow('database down');
    expect(recorder.pending).toBe(2);
    expect(recorder.dropped).toBeGreaterThanOrEqual(3);
    const callsWhileDown = writes.mock.calls.length;
    for (let i = 0; i < 100; i++) recorder.authenticated(used('K5', T0 + i));
    expect(writes.mock.calls.length).toBe(callsWhileDown);

    writes.mockRestore();
    await recorder.flush();
    expect(recorder.pending).toBe(0);
    for (const id of ['K3', 'K4', 'K5']) {
      recorder.authenticated(used(id, T0 + 1));
      await recorder.flush();
    }
    for (const id of ['K1', 'K2', 'K3', 'K4', 'K5']) expect(await lastUsed(id)).toBe(iso(T0));
  });

  it('remembers a bounded number of keys; one it forgot costs a repeat write, not a lost use', async () => {
    const recorder = start({ maxRemembered: 2 });
    for (const id of ['K1', 'K2', 'K3']) recorder.authenticated(used(id, T0));
    expect(recorder.remembered).toBe(2);
    await recorder.flush();
    recorder.authenticated(used('K1', T0 + 1));
    recorder.authenticated(used('K3', T0 + 1));
    await recorder.flush();
    expect(written()).toEqual([{ K1: iso(T0), K2: iso(T0), K3: iso(T0) }, { K1: iso(T0) }]);
    expect(recorder.remembered).toBe(2);
  });

  it('writes what is pending on stop, stops its timer and ignores later uses', async () => {
    const recorder = start({ intervalMs: 5_000 });
    recorder.authenticated(used('K1', T0));
    await recorder.stop();
    expect(timerStopped).toBe(true);
    expect(await lastUsed('K1')).toBe(iso(T0));
    recorder.authenticated(used('K2', T0));
    expect(recorder.pending).toBe(0);
  });

  it('reports a failed write on stop instead of throwing', async () => {
    const recorder = start();
    writes.mockRejectedValue(new Error('database down'));
    recorder.authenticated(used('K1', T0));
    await expect(recorder.stop()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it('refuses bounds that would not bound anything', () => {
    expect(() => startLastUsedRecorder(store, { maxPending: 0 })).toThrow(RangeError);
    expect(() => startLastUsedRecorder(store, { maxRemembered: 1.5 })).toThrow(RangeError);
  });
});
