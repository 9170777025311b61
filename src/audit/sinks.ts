import { appendFile } from 'node:fs/promises';
import type { AuditSinkSettings } from '../config.js';
import type { Logger } from '../logger.js';
import type { AuditListener } from '../services/audit-log.js';
import type { AuditCloudEvent } from './cloud-event.js';

/**
 * Somewhere committed audit events are copied to, besides the database. `appended` never throws
 * and never waits: a failing sink holds events (up to a bound) and never holds up a request.
 */
export interface AuditSink extends AuditListener {
  /** Delivers what is held, within a bounded time; what is still held then is reported lost. */
  stop(): Promise<void>;
}

export interface SinkOptions {
  logger: Logger;
  /** Events held at most while the sink fails; past it the newest are counted and dropped. */
  maxPending: number;
  /** Milliseconds since the epoch; spaces the warnings about dropped events. */
  now?: () => number;
}

/** Events a sink holds at most while it fails. */
export const SINK_MAX_PENDING = 100_000;

/** How often, at most, a sink warns that it is dropping events. */
const DROP_WARNING_MS = 60_000;

/** Lines or events waiting for a sink, oldest first, bounded by `maxPending`. */
class Pending<T> {
  readonly items: T[] = [];
  /** Dropped since the sink started. */
  dropped = 0;
  private unreported = 0;
  private lastWarning = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly sink: string,
    private readonly options: SinkOptions,
  ) {}

  add(items: readonly T[]): void {
    const room = Math.max(0, this.options.maxPending - this.items.length);
    for (const item of items.slice(0, room)) this.items.push(item);
    const lost = items.length - Math.min(room, items.length);
    if (lost === 0) return;
    this.dropped += lost;
    this.unreported += lost;
    const now = (this.options.now ?? Date.now)();
    if (now - this.lastWarning >= DROP_WARNING_MS) {
      this.lastWarning = now;
      this.reportDrops();
    }
  }

  /** Warns of drops not yet warned of (the last ones before a stop are otherwise never told). */
  reportDrops(): void {
    if (this.unreported === 0) return;
    this.options.logger.warn(`${this.sink}: ${this.options.maxPending} audit events are waiting; newer ones are dropped`, {
      dropped: this.unreported,
      droppedTotal: this.dropped,
    });
    this.unreported = 0;
  }
}

/**
 * What went wrong, by error code or name only: fetch's messages can repeat the URL, which may hold
 * credentials in its query.
 */
const causeOf = (error: unknown): string => {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error.cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
};

/** Lines appended per write. */
const FILE_BATCH = 1_000;

/**
 * Appends each event as one line of JSON (the CloudEvent exactly as stored and hashed), in
 * commit order. The file is opened for each write in append mode, created 0600: it survives
 * restarts and follows log rotation. A failed write is warned of and tried again, with the lines
 * after it, when the next events arrive.
 */
export class JsonLinesFileSink implements AuditSink {
  private readonly pending: Pending<string>;
  private busy = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly options: SinkOptions,
  ) {
    this.pending = new Pending('audit file sink', options);
  }

  appended(events: readonly AuditCloudEvent[]): void {
    this.pending.add(events.map((event) => `${JSON.stringify(event)}\n`));
    this.kick();
  }

  async stop(): Promise<void> {
    await this.idle;
    this.kick();
    await this.idle;
    this.pending.reportDrops();
    if (this.pending.items.length > 0) {
      this.options.logger.warn('audit file sink: events not written before stopping', { events: this.pending.items.length });
    }
  }

  private kick(): void {
    if (this.busy || this.pending.items.length === 0) return;
    this.busy = true;
    this.idle = this.writePending();
  }

  private async writePending(): Promise<void> {
    try {
      while (this.pending.items.length > 0) {
        const lines = this.pending.items.slice(0, FILE_BATCH);
        await appendFile(this.path, lines.join(''), { flag: 'a', mode: 0o600 });
        this.pending.items.splice(0, lines.length);
      }
    } catch (error) {
      this.options.logger.warn('audit file sink: write failed; the events are kept for the next attempt', {
        cause: causeOf(error),
        pending: this.pending.items.length,
      });
    } finally {
      this.busy = false;
    }
  }
}

export interface WebhookSinkOptions extends SinkOptions {
  /** http(s); may carry credentials, so it is never logged (its host is). */
  url: string;
  /** Sent as `Authorization: Bearer …`. */
  token?: string | undefined;
  /** Events per POST. */
  batchSize: number;
  /** Back-off after a failed POST: `initialMs`, doubling to `maxMs`, each wait jittered down to half. */
  retry: { initialMs: number; maxMs: number };
  requestTimeoutMs: number;
  /** How long `stop()` keeps trying to deliver what is held. */
  drainMs: number;
}

export const defaultWebhookOptions = {
  batchSize: 500,
  retry: { initialMs: 1_000, maxMs: 60_000 },
  requestTimeoutMs: 10_000,
  drainMs: 5_000,
  maxPending: SINK_MAX_PENDING,
} satisfies Partial<WebhookSinkOptions>;

export const WEBHOOK_CONTENT_TYPE = 'application/cloudevents-batch+json';

type Outcome = 'delivered' | 'dropped' | 'retry';

/**
 * POSTs events in batches (a JSON array, CloudEvents' batched content mode), one POST at a time,
 * in commit order. Network errors, timeouts, 429 and 5xx are retried with back-off, the batch
 * and everything after it held meanwhile; any other non-2xx (a redirect included, which is
 * never followed) would fail again as it is, so its batch is dropped with a warning.
 */
export class WebhookSink implements AuditSink {
  private readonly pending: Pending<AuditCloudEvent>;
  private readonly host: string;
  private busy = false;
  private idle: Promise<void> = Promise.resolve();
  private failures = 0;
  private wake: (() => void) | undefined;
  /** Set by `stop()`: delivery gives up at this time (performance.now()). */
  private deadline: number | undefined;
  private readonly stopping = new AbortController();

  constructor(private readonly options: WebhookSinkOptions) {
    this.pending = new Pending('audit webhook', options);
    this.host = new URL(options.url).host;
  }

  get dropped(): number {
    return this.pending.dropped;
  }

  appended(events: readonly AuditCloudEvent[]): void {
    this.pending.add(events);
    this.kick();
  }

  async stop(): Promise<void> {
    this.deadline = performance.now() + this.options.drainMs;
    const cutOff = setTimeout(() => this.stopping.abort(), this.options.drainMs);
    // A wait for the next attempt ends now: what is held gets its tries before the deadline.
    this.wake?.();
    this.kick();
    await this.idle;
    clearTimeout(cutOff);
    this.pending.reportDrops();
    if (this.pending.items.length > 0) {
      this.options.logger.warn('audit webhook: events not delivered before stopping', { host: this.host, events: this.pending.items.length });
    }
  }

  private timeLeft(): number {
    return this.deadline === undefined ? Number.POSITIVE_INFINITY : this.deadline - performance.now();
  }

  private kick(): void {
    if (this.busy || this.pending.items.length === 0 || this.timeLeft() <= 0) return;
    this.busy = true;
    this.idle = this.deliverPending();
  }

  private async deliverPending(): Promise<void> {
    try {
      while (this.pending.items.length > 0 && this.timeLeft() > 0) {
        const batch = this.pending.items.slice(0, this.options.batchSize);
        if ((await this.post(batch)) === 'retry') {
          this.failures++;
          await this.pause(Math.min(this.backoff(), this.timeLeft()));
          continue;
        }
        this.failures = 0;
        this.pending.items.splice(0, batch.length);
      }
    } finally {
      this.busy = false;
    }
  }

  private backoff(): number {
    const { initialMs, maxMs } = this.options.retry;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.failures - 1, 30));
    return base / 2 + (Math.random() * base) / 2;
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = undefined;
    });
  }

  private async post(batch: readonly AuditCloudEvent[]): Promise<Outcome> {
    const headers: Record<string, string> = { 'content-type': WEBHOOK_CONTENT_TYPE };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let status: number;
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(batch),
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.options.requestTimeoutMs), this.stopping.signal]),
      });
      status = response.status;
      await response.body?.cancel();
    } catch (error) {
      this.options.logger.warn('audit webhook: POST failed; retrying with back-off', {
        host: this.host,
        cause: causeOf(error),
        pending: this.pending.items.length,
      });
      return 'retry';
    }
    if (status >= 200 && status < 300) return 'delivered';
    if (status === 429 || status >= 500) {
      this.options.logger.warn('audit webhook: POST refused for now; retrying with back-off', {
        host: this.host,
        status,
        pending: this.pending.items.length,
      });
      return 'retry';
    }
    this.options.logger.warn(
      status >= 300 && status < 400
        ? 'audit webhook: answered with a redirect, which is not followed; batch dropped (set the final URL)'
        : 'audit webhook: batch rejected; dropped, as it would be rejected again',
      { host: this.host, status, events: batch.length },
    );
    return 'dropped';
  }
}

/** The sinks the configuration asks for. */
export function createAuditSinks(settings: AuditSinkSettings, logger: Logger): AuditSink[] {
  const sinks: AuditSink[] = [];
  if (settings.file) sinks.push(new JsonLinesFileSink(settings.file, { logger, maxPending: SINK_MAX_PENDING }));
  if (settings.webhookUrl) {
    sinks.push(new WebhookSink({ ...defaultWebhookOptions, logger, url: settings.webhookUrl, token: settings.webhookToken }));
  }
  return sinks;
}
