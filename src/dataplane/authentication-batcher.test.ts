import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthenticationEvent } from '../services/authentication-events.js';
import { AuthenticationBatcher, type AuthenticationEventSink } from './authentication-batcher.js';

const event = (n: number): AuthenticationEvent => ({ time: n, outcome: 'success', keyId: `KEY${String(n).padStart(13, '0')}`, via: 'nginx' });

/** A sink that stores what it is given and can be told to fail. */
function sink() {
  const batches: AuthenticationEvent[][] = [];
  let failing = false;
  const target: AuthenticationEventSink & { batches: typeof batches; fail(on: boolean): void } = {
    batches,
    fail: (on) => {
      failing = on;
    },
    write: async (events) => {
      if (failing) throw new Error('sink down');
      batches.push([...events]);
    },
  };
  return target;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('AuthenticationBatcher', () => {
  it('writes on its timer, in batches, in order', async () => {
    vi.useFakeTimers();
    const target = sink();
    const batcher = new AuthenticationBatcher(target, { flushMs: 1_000, batchSize: 4, maxPending: 100 });
    for (let i = 0; i < 3; i++) batcher.authenticated(event(i));
    expect(target.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(target.batches).toEqual([[event(0), event(1), event(2)]]);
    await batcher.stop();
  });

  it('starts a write as soon as a batch is full', async () => {
    const target = sink();
    const batcher = new AuthenticationBatcher(target, { flushMs: 60_000, batchSize: 3, maxPending: 100 });
    for (let i = 0; i < 7; i++) batcher.authenticated(event(i));
    await batcher.flush();
    expect(target.batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(target.batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6].map(event));
    await batcher.stop();
  });

  it('keeps a batch the sink refused and writes it once the sink is back', async () => {
    const target = sink();
    const errors: unknown[] = [];
    const batcher = new AuthenticationBatcher(target, { flushMs: 60_000, batchSize: 10, maxPending: 100, onError: (e) => errors.push(e) });
    target.fail(true);
    batcher.authenticated(event(1));
    await batcher.flush();
    expect(errors).toHaveLength(1);
    expect(batcher.size).toBe(1);
    target.fail(false);
    batcher.authenticated(event(2));
    await batcher.stop();
    expect(target.batches.flat()).toEqual([event(1), event(2)]);
  });

  it('holds at most maxPending events and counts the ones it drops', async () => {
    const target = sink();
    target.fail(true);
    const batcher = new AuthenticationBatcher(target, { flushMs: 60_000, batchSize: 1_000, maxPending: 5 });
    for (let i = 0; i < 8; i++) batcher.authenticated(event(i));
    expect(batcher.size).toBe(5);
    expect(batcher.dropped).toBe(3);
    target.fail(false);
    await batcher.stop();
    expect(target.batches.flat()).toEqual([0, 1, 2, 3, 4].map(event));
  });
});
