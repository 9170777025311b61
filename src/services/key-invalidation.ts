import type { ServiceContext } from './context.js';
import { KEYS_REMOVED } from './key-removal.js';

export interface KeyInvalidationOptions {
  /** How often the notifications table is read, in case a live message was lost. */
  resyncMs: number;
  /** How far back each read looks, to cover clock skew between nodes and late commits. */
  overlapMs: number;
  /** Notifications older than this are deleted. */
  retentionMs: number;
  onError?: (error: unknown) => void;
}

export const defaultInvalidationOptions: KeyInvalidationOptions = {
  resyncMs: 5_000,
  overlapMs: 60_000,
  retentionMs: 24 * 60 * 60 * 1000,
};

export interface KeyInvalidation {
  /** Reads the notifications table now; resolves when done. */
  resync(): Promise<void>;
  stop(): void;
}

/**
 * Keeps this node's key cache honest. Removals arrive live (after commit on this node, over
 * LISTEN/NOTIFY from others); a lost connection clears the cache; and every `resyncMs` the
 * notifications table is read as a backstop, so a message lost any other way costs at most that
 * long.
 */
export function startKeyInvalidation(ctx: ServiceContext, options: KeyInvalidationOptions): KeyInvalidation {
  const unsubscribe = ctx.store.subscribe(KEYS_REMOVED, {
    onMessage: (payload) => ctx.keys.forget(payload.split(',')),
    onGap: () => ctx.keys.clear(),
  });
  const seen = new Map<string, string>();
  let running: Promise<void> | undefined;

  async function readBack(): Promise<void> {
    const now = ctx.now().getTime();
    const since = new Date(now - options.overlapMs).toISOString();
    let after = { createdAt: since, id: '' };
    for (;;) {
      const page = await ctx.store.list('notifications', { channel: KEYS_REMOVED }, { limit: 500, after });
      for (const n of page.items) {
        if (seen.has(n.id)) continue;
        seen.set(n.id, n.createdAt);
        ctx.keys.forget(n.payload.split(','));
      }
      if (!page.next) break;
      after = page.next;
    }
    for (const [id, createdAt] of seen) if (createdAt < since) seen.delete(id);
    await ctx.store.deleteCreatedBefore('notifications', new Date(now - options.retentionMs).toISOString());
  }

  const resync = () => {
    running ??= readBack()
      .catch((error) => {
        options.onError?.(error);
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(resync, options.resyncMs);
  timer.unref();
  return {
    resync,
    stop() {
      clearInterval(timer);
      unsubscribe();
    },
  };
}
