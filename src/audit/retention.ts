import { type Periodic, startPeriodic } from '../periodic.js';
import type { Cursor, Store } from '../storage/store.js';

export interface AuditRetentionOptions {
  /** Events older than this many days are deleted (greater than 0: 0 means no job at all). */
  retentionDays: number;
  /** How often the job runs after its first run at start. */
  intervalMs: number;
  now: () => Date;
  onDeleted?: (deleted: RetentionResult) => void;
  onError?: (error: unknown) => void;
}

export const defaultRetentionIntervalMs = 60 * 60 * 1000;

export interface RetentionResult {
  events: number;
  chains: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Events are deleted an hour of event time per statement, so that a first run over years of
 * events never holds SQLite's write lock (or a PostgreSQL transaction) for long.
 */
const WINDOW_MS = 60 * 60 * 1000;

/**
 * Deletes the audit events created before `cutoff` and the heads of chains with no event since.
 * Event times never go back within a chain, so what is left of each chain is an unbroken run
 * ending at its head: `ChainVerifier` takes the first event left as the chain's start.
 */
export async function deleteAuditEventsBefore(store: Store, cutoff: string): Promise<RetentionResult> {
  let events = 0;
  for (;;) {
    const oldest = await store.find('auditEvents', { before: { createdAt: cutoff } });
    if (!oldest) break;
    const windowEnd = new Date(Date.parse(oldest.createdAt) + WINDOW_MS).toISOString();
    const deleted = await store.deleteCreatedBefore('auditEvents', windowEnd < cutoff ? windowEnd : cutoff);
    if (deleted === 0) break;
    events += deleted;
  }
  let chains = 0;
  let after: Cursor | undefined;
  for (;;) {
    const stale = await store.list('auditChains', { before: { lastEventAt: cutoff } }, { limit: 500, after, total: false });
    for (const { id } of stale.items) {
      // Under the chain's lock, as appends take it: a chain that has just had an event keeps its head.
      const gone = await store.transaction(async (tx) => {
        await tx.lock(`audit-chain:${id}`);
        const head = await tx.get('auditChains', id);
        return head !== undefined && head.lastEventAt < cutoff && (await tx.delete('auditChains', id));
      });
      if (gone) chains++;
    }
    if (!stale.next) break;
    after = stale.next;
  }
  return { events, chains };
}

/** `run()` resolves with what it deleted, or undefined when it failed. */
export type AuditRetention = Periodic<RetentionResult>;

/** Deletes expired audit data at once and then every `intervalMs`; failures go to `onError` and the next run tries again. */
export function startAuditRetention(store: Store, options: AuditRetentionOptions): AuditRetention {
  const expire = () =>
    deleteAuditEventsBefore(store, new Date(options.now().getTime() - options.retentionDays * DAY_MS).toISOString()).then((deleted) => {
      if (deleted.events > 0 || deleted.chains > 0) options.onDeleted?.(deleted);
      return deleted;
    });
  return startPeriodic(expire, options.intervalMs, options.onError);
}
