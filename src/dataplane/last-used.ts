import type { AuthenticationEvent, AuthenticationObserver } from '../services/authentication-events.js';
import type { Store } from '../storage/store.js';

export interface LastUsedOptions {
  /** How often noted uses are written (default 15 s). */
  intervalMs: number;
  /**
   * Keys waiting to be written. Reaching it starts a write at once; while writes fail and it is
   * full, uses of further keys are dropped (counted in `dropped`).
   */
  maxPending: number;
  /**
   * Keys whose latest noted minute is remembered, so that repeats within a minute cost no write.
   * A key forgotten here costs at most one redundant write, never a lost use.
   */
  maxRemembered: number;
  /** Told of every failed write; the batch is kept for the next attempt. */
  onError?: (error: unknown) => void;
  /** Calls `tick` every `ms`; returns the function that stops. Defaults to an unref'd setInterval. */
  every?: (ms: number, tick: () => void) => () => void;
}

export const defaultLastUsedOptions: LastUsedOptions = { intervalMs: 15_000, maxPending: 100_000, maxRemembered: 200_000 };

export interface LastUsedRecorder extends AuthenticationObserver {
  /** Writes every use noted so far; rejects when that write fails (the uses stay pending). */
  flush(): Promise<void>;
  /** Stops the timer, ignores later uses and writes what is pending; a failed write goes to onError. */
  stop(): Promise<void>;
  /** Keys waiting to be written. */
  readonly pending: number;
  /** Keys whose latest minute is remembered. */
  readonly remembered: number;
  /** Uses dropped because the pending keys were at their bound. */
  readonly dropped: number;
}

const MINUTE = 60_000;
/** Stored times are compared as text: a year past 9999 would sort before every real one. */
const END_MINUTE = Date.UTC(10_000, 0, 1) / MINUTE;

function interval(ms: number, tick: () => void): () => void {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Last-used times of API keys, to the minute, written in batches. Each successful
 * authentication notes its key's minute in memory (one map lookup when the minute is already
 * noted); every `intervalMs` the noted minutes go to the store in one call. So a key used any
 * number of times within a minute costs at most one write for that minute, and a request never
 * waits on the database. The store keeps the latest time, so nodes writing in any order agree.
 */
export function startLastUsedRecorder(store: Pick<Store, 'recordKeysUsed'>, options: Partial<LastUsedOptions> = {}): LastUsedRecorder {
  const { intervalMs, maxPending, maxRemembered, onError } = { ...defaultLastUsedOptions, ...options };
  for (const [name, value] of Object.entries({ intervalMs, maxPending, maxRemembered })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number of at least 1`);
  }
  // Minutes since the epoch (small integers), by key id: what waits to be written, and the latest
  // noted (waiting, being written or written). `latest` is kept in the order keys were last
  // noted, so the key idle longest is forgotten first.
  let pending = new Map<string, number>();
  const latest = new Map<string, number>();
  let dropped = 0;
  let stopped = false;
  /** The last write failed: only the timer retries, so a database that is down is not hammered. */
  let failing = false;
  let queued = 0;
  let chain: Promise<void> = Promise.resolve();

  function remember(id: string, minute: number): void {
    if (latest.has(id)) latest.delete(id);
    else if (latest.size >= maxRemembered) latest.delete(latest.keys().next().value!);
    latest.set(id, minute);
  }

  /** Puts a use back in the pending keys, unless they are full; the newer minute wins. */
  function keep(id: string, minute: number): boolean {
    const waiting = pending.get(id);
    if (waiting !== undefined) {
      if (waiting < minute) pending.set(id, minute);
      return true;
    }
    if (pending.size >= maxPending) {
      dropped++;
      return false;
    }
    pending.set(id, minute);
    return true;
  }

  async function writeOnce(): Promise<void> {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const times = new Map<string, string>();
    for (const [id, minute] of batch) times.set(id, new Date(minute * MINUTE).toISOString());
    try {
      await store.recordKeysUsed(times);
      failing = false;
    } catch (error) {
      failing = true;
      for (const [id, minute] of batch) {
        // A dropped use is forgotten too, so the key's next use in that minute is noted again.
        if (!keep(id, minute) && latest.get(id) === minute) latest.delete(id);
      }
      onError?.(error);
      throw error;
    }
  }

  function flush(): Promise<void> {
    queued++;
    const run = chain.then(writeOnce).finally(() => {
      queued--;
    });
    chain = run.catch(() => {});
    return run;
  }

  /** Starts a write unless one is already under way; its failure went to onError. */
  function writeSoon(): void {
    if (queued === 0) flush().catch(() => {});
  }

  /** The pending keys are full: write now rather than at the next tick, unless writes are failing. */
  function makeRoom(): void {
    if (!failing) writeSoon();
  }

  const stopTimer = (options.every ?? interval)(intervalMs, writeSoon);

  return {
    authenticated(event: AuthenticationEvent): void {
      const id = event.keyId;
      if (event.outcome !== 'success' || id === undefined || stopped) return;
      const minute = Math.floor(event.time / MINUTE);
      if (!(minute >= 0 && minute < END_MINUTE)) return;
      const noted = latest.get(id);
      if (noted !== undefined && noted >= minute) return;
      if (!keep(id, minute)) {
        makeRoom();
        return;
      }
      remember(id, minute);
      if (pending.size >= maxPending) makeRoom();
    },
    flush,
    async stop() {
      if (!stopped) {
        stopped = true;
        stopTimer();
      }
      await flush().catch(() => {});
    },
    get pending() {
      return pending.size;
    },
    get remembered() {
      return latest.size;
    },
    get dropped() {
      return dropped;
    },
  };
}
