import type { KeyObject } from 'node:crypto';
import { type BrokenLink, ChainVerifier, headMac } from '../audit/chain.js';
import type { Cursor, Store } from '../storage/store.js';
import { listAll } from './access.js';
import { eventId } from './audit-log.js';

export type AuditVerification =
  | { ok: true; events: number; chains: number }
  | { ok: false; broken: BrokenLink; events: number; chains: number };

const BATCH = 1000;

/**
 * Checks every chain of the audit log with the chain key (`auditKey` of the pepper file): each
 * event's hash, its link to the event before it, no gap in sequence numbers, and that each chain
 * ends where its head in `audit_chains` says. Events are read in (created_at, id) order, which is
 * sequence order within every chain (times never go back in a chain and ids sort by sequence),
 * so one pass checks all chains, including one whose head record is gone. Stops at the first
 * broken link.
 *
 * Servers may go on writing while this runs: the heads are read first, and what is written after
 * that (events past a head, chains begun later) is left for the next run rather than taken for a
 * broken chain.
 */
export async function verifyAuditLog(store: Store, key: KeyObject | Buffer): Promise<AuditVerification> {
  const startedAt = new Date().toISOString();
  const heads = new Map((await listAll(store, 'auditChains', {})).map((h) => [h.id, h]));
  const verifier = new ChainVerifier(key);
  /** Each chain seen, with the last sequence number checked. */
  const seen = new Map<string, number>();
  let after: Cursor | undefined;
  do {
    const page = await store.list('auditEvents', {}, { limit: BATCH, after, total: false });
    for (const row of page.items) {
      const head = heads.get(row.chainId);
      if (head ? row.seq > head.seq : row.createdAt > startedAt) continue;
      const broken = verifier.push(row);
      if (broken) return { ok: false, broken, events: verifier.checked, chains: seen.size + (seen.has(row.chainId) ? 0 : 1) };
      seen.set(row.chainId, row.seq);
    }
    after = page.next;
  } while (after);

  for (const head of heads.values()) {
    if (head.mac !== headMac(key, head.id, head.seq, head.hash)) {
      return {
        ok: false,
        broken: { chainId: head.id, seq: head.seq, id: eventId(head.id, head.seq), problem: "the chain's head record was changed" },
        events: verifier.checked,
        chains: seen.size,
      };
    }
    const broken = verifier.checkHead(head.id, head.seq, head.hash);
    if (broken) return { ok: false, broken: { ...broken, id: broken.id || eventId(head.id, broken.seq) }, events: verifier.checked, chains: seen.size };
  }
  const headless = [...seen].find(([chainId]) => !heads.has(chainId));
  if (headless !== undefined) {
    const [chainId, seq] = headless;
    return {
      ok: false,
      broken: { chainId, seq, id: eventId(chainId, seq), problem: "the chain's head record is missing, so events cut off its end would go unnoticed" },
      events: verifier.checked,
      chains: seen.size,
    };
  }
  return { ok: true, events: verifier.checked, chains: new Set([...seen.keys(), ...heads.keys()]).size };
}
