import { type KeyObject, randomUUID } from 'node:crypto';
import { type AuditCloudEvent, type AuditDraft, finish } from '../audit/cloud-event.js';
import { GENESIS_HASH, headMac, linkHash } from '../audit/chain.js';
import type { Store } from '../storage/store.js';
import type { ServiceContext } from './context.js';
import { derivedKey, type Peppers } from './secret-hasher.js';

/** Told of each event once the transaction that wrote it has committed (sinks, live followers). */
export interface AuditListener {
  appended(events: readonly AuditCloudEvent[]): void;
}

/**
 * This node's audit chain: its id (a new chain for each start of a node), the key its links are
 * made with, and who hears of new events.
 */
export interface AuditTrail {
  chainId: string;
  key: KeyObject | Buffer;
  /** `crn://confluent.cloud/organization=…`: the CloudEvents `source`. */
  source: string;
  listeners: AuditListener[];
}

const AUDIT_CHAIN_LABEL = 'keyplane audit chain v1';

/**
 * The chain key: derived from the first pepper, which stays in the pepper file when peppers are
 * rotated, so that old chains keep verifying.
 */
export function auditKey(peppers: Peppers): KeyObject {
  return derivedKey(peppers, AUDIT_CHAIN_LABEL);
}

export function createAuditTrail(peppers: Peppers, source: string): AuditTrail {
  return { chainId: randomUUID(), key: auditKey(peppers), source, listeners: [] };
}

/** Tells the trail's listeners of events whose transaction has committed (sinks, live followers). */
export function announceCommitted(trail: AuditTrail | undefined, events: readonly AuditCloudEvent[]): void {
  if (events.length === 0 || !trail) return;
  for (const listener of trail.listeners) listener.appended(events);
}

/** An event's id: its chain and its sequence number, zero-padded so that ids sort in chain order. */
export function eventId(chainId: string, seq: number): string {
  return `${chainId}-${String(seq).padStart(12, '0')}`;
}

/**
 * Runs `change` in a transaction of the context's store, with the audit events it returns
 * appended in that transaction when the audit log is on (the change and its events land together
 * or not at all); listeners hear of the events once it has committed. Returns the change's result.
 */
export async function withAuditEvents<R>(
  ctx: Pick<ServiceContext, 'store' | 'audit'>,
  change: (tx: Store) => Promise<{ result: R; drafts: readonly AuditDraft[] }>,
): Promise<R> {
  const { result, events } = await ctx.store.transaction(async (tx) => {
    const { result, drafts } = await change(tx);
    return { result, events: ctx.audit && drafts.length > 0 ? await appendInTransaction(tx, ctx.audit, drafts) : [] };
  });
  announceCommitted(ctx.audit, events);
  return result;
}

/**
 * Appends events to this node's chain, in order, within the caller's transaction when there is
 * one (a management change and its event land together or not at all). The chain's head is
 * locked until the transaction ends, so concurrent appends on a node cannot fork it. Telling
 * listeners, once the transaction has committed, is the caller's part.
 */
export function appendAuditEvents(store: Store, trail: AuditTrail, drafts: readonly AuditDraft[]): Promise<AuditCloudEvent[]> {
  if (drafts.length === 0) return Promise.resolve([]);
  return store.transaction((tx) => appendInTransaction(tx, trail, drafts));
}

/**
 * appendAuditEvents for a caller already in a transaction (an audited change): the events join
 * it as they are, without a savepoint of their own, since nothing here is retried or caught.
 */
export async function appendInTransaction(tx: Store, trail: AuditTrail, drafts: readonly AuditDraft[]): Promise<AuditCloudEvent[]> {
  const appended: AuditCloudEvent[] = [];
  await tx.lock(`audit-chain:${trail.chainId}`);
  const head = await tx.get('auditChains', trail.chainId);
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  let lastTime = head?.lastEventAt ?? '';
  const rows = [];
  for (const draft of drafts) {
    seq++;
    // Times never go back within a chain, so that time order is chain order.
    let time = new Date(draft.time).toISOString();
    if (time < lastTime) time = lastTime;
    const id = eventId(trail.chainId, seq);
    const event = finish(draft, id, time, trail.source);
    const data = JSON.stringify(event);
    const hash = linkHash(trail.key, prevHash, data);
    rows.push({
      id,
      chainId: trail.chainId,
      seq,
      type: event.type,
      method: event.data.methodName,
      principal: event.data.authenticationInfo.principal ?? null,
      keyId: draft.keyId ?? null,
      resourceName: event.data.resourceName,
      result: event.data.result.status === 'SUCCESS' ? 'success' : 'failure',
      data,
      prevHash,
      hash,
      createdAt: time,
    });
    appended.push(event);
    prevHash = hash;
    lastTime = time;
  }
  await tx.insertMany('auditEvents', rows);
  const mac = headMac(trail.key, trail.chainId, seq, prevHash);
  if (head) await tx.update('auditChains', trail.chainId, { seq, hash: prevHash, mac, lastEventAt: lastTime });
  else await tx.insert('auditChains', { id: trail.chainId, seq, hash: prevHash, mac, lastEventAt: lastTime, createdAt: rows[0]!.createdAt });
  return appended;
}
