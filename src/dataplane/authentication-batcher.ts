import type { AuthenticationEvent, AuthenticationObserver } from '../services/authentication-events.js';

/** Where batched items go. */
export interface BatchSink<T> {
  /** Stores the items; rejects to have the same batch offered again later. */
  write(items: readonly T[]): Promise<void>;
}

/** Where authentication events go in batches: the audit log. */
export type AuthenticationEventSink = BatchSink<AuthenticationEvent>;

export interface BatcherOptions {
  /** How often pending events are written, in milliseconds. */
  flushMs: number;
  /** Events per write; reaching it starts a write without waiting for the timer. */
  batchSize: number;
  /** Events held at most (while the sink is slow or failing); past it new events are counted and dropped. */
  maxPending: number;
  onError?: (error: unknown) => void;
}

export const defaultBatcherOptions: BatcherOptions = { flushMs: 1_000, batchSize: 1_000, maxPending: 100_000 };

/**
 * Collects authentication events on the request path (an array push) and writes them to the
 * sink in batches, one write at a time, in order. Memory is bounded by `maxPending`: when the
 * sink cannot keep up, the newest events are dropped and counted in `dropped`, never the
 * request held up. `stop()` writes what is pending.
 */
export class Batcher<T> {
  private pending: T[] = [];
  private writing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  /** Events dropped because `maxPending` were already waiting. */
  dropped = 0;

  constructor(
    private readonly sink: BatchSink<T>,
    private readonly options: BatcherOptions = defaultBatcherOptions,
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushMs);
    this.timer.unref();
  }

  add(item: T): void {
    if (this.pending.length >= this.options.maxPending) {
      this.dropped++;
      return;
    }
    this.pending.push(item);
    if (this.pending.length === this.options.batchSize) void this.flush();
  }

  get size(): number {
    return this.pending.length;
  }

  /** Writes every event pending now; resolves when they are written or the sink failed. */
  flush(): Promise<void> {
    this.writing = (this.writing ?? Promise.resolve()).then(() => this.writePending());
    return this.writing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async writePending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, this.options.batchSize);
      try {
        await this.sink.write(batch);
      } catch (error) {
        // Kept, in order, for the next flush.
        this.options.onError?.(error);
        return;
      }
      this.pending.splice(0, batch.length);
    }
  }
}

/** Authentication events, batched on the request path for the audit log. */
export class AuthenticationBatcher extends Batcher<AuthenticationEvent> implements AuthenticationObserver {
  authenticated(event: AuthenticationEvent): void {
    this.add(event);
  }
}
