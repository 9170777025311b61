import type { AuditCloudEvent } from '../audit/cloud-event.js';
import { KeyplaneError } from '../domain/errors.js';
import type { Cursor, Page, PageRequest, Row, Store, Where } from '../storage/store.js';
import { type Caller, callerFor, can, ensure, listAll } from './access.js';
import { eventId } from './audit-log.js';
import { sessionIsLive } from './console-sessions.js';
import type { Actor, ServiceContext } from './context.js';

/** What a reader may narrow the log to; every field is optional and they all apply together. */
export interface AuditEventFilter {
  /** Confluent's method name, exactly: `CreateAPIKey`, `kafka.Authentication`, … */
  method?: string | undefined;
  /** `User:u-…`, `User:sa-…`, or the bare id. */
  principal?: string | undefined;
  /** A CRN prefix: `crn://confluent.cloud/organization=…/environment=env-…` reaches everything in it. */
  resource?: string | undefined;
  /** `success` or `failure`. */
  result?: string | undefined;
  /** The CloudEvents type. */
  type?: string | undefined;
  /** Events at or after this time (RFC 3339 UTC, as stored). */
  since?: string | undefined;
  /** Events before this time. */
  until?: string | undefined;
}

const PRINCIPAL_RE = /^(?:User:)?([a-z]+-[A-Za-z0-9]{1,64})$/;
const MAX_TEXT = 1024;

function invalidFilter(parameter: string, detail: string): KeyplaneError {
  return new KeyplaneError('invalid_filter', detail, { source: { parameter } });
}

function text(parameter: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.length > MAX_TEXT) throw invalidFilter(parameter, `${parameter} must be at most ${MAX_TEXT} characters`);
  return value;
}

/** The store filter for a reader's filter; refuses a filter that could never be meant (400 naming it). */
function auditWhere(filter: AuditEventFilter): Where<'auditEvents'> {
  const where: Where<'auditEvents'> = {};
  const method = text('method', filter.method);
  if (method !== undefined) where.method = method;
  const type = text('type', filter.type);
  if (type !== undefined) where.type = type;
  if (filter.principal !== undefined) {
    const match = PRINCIPAL_RE.exec(filter.principal);
    if (!match) throw invalidFilter('principal', 'principal must be a user or service account: User:u-…, User:sa-…, u-… or sa-…');
    where.principal = `User:${match[1]}`;
  }
  if (filter.result !== undefined) {
    const result = filter.result.toLowerCase();
    if (result !== 'success' && result !== 'failure') throw invalidFilter('result', 'result must be success or failure');
    where.result = result;
  }
  const resource = text('resource', filter.resource);
  if (resource !== undefined) {
    if (!resource.startsWith('crn://')) throw invalidFilter('resource', 'resource must be a CRN or the start of one: crn://confluent.cloud/organization=…');
    where.startsWith = { resourceName: resource };
  }
  if (filter.since !== undefined && filter.until !== undefined && filter.since > filter.until) {
    throw invalidFilter('until', 'until must not be earlier than since');
  }
  if (filter.since !== undefined) where.since = { createdAt: filter.since };
  if (filter.until !== undefined) where.before = { createdAt: filter.until };
  return where;
}

/**
 * Whether a follower may go on reading: its key (or console session) still exists and its owner still holds
 * `AuditLog:Read`. A stream is checked again every so often, so that a revoked reader stops.
 */
export async function mayStillFollow(ctx: ServiceContext, actor: Actor): Promise<boolean> {
  if (actor.via === 'key' ? !(await ctx.store.get('apiKeys', actor.keyId)) : !(await sessionIsLive(ctx, actor.sessionId))) return false;
  return can(ctx, await callerFor(ctx, actor), 'AuditLog:Read', ctx.crn.organization()).allowed;
}

/** The audit log may be read by whoever holds `AuditLog:Read` on the organization (AuditLogReader, OrganizationAdmin). */
function ensureAuditReader(ctx: ServiceContext, caller: Caller): void {
  ensure(ctx, caller, 'AuditLog:Read', ctx.crn.organization());
}

function eventOf(row: Row<'auditEvents'>): AuditCloudEvent {
  return JSON.parse(row.data) as AuditCloudEvent;
}

/** A page of the audit log, oldest first unless the page asks for newest first. */
export async function listAuditEvents(
  ctx: ServiceContext,
  caller: Caller,
  filter: AuditEventFilter,
  page: PageRequest,
): Promise<Page<AuditCloudEvent>> {
  const where = auditWhere(filter);
  ensureAuditReader(ctx, caller);
  const rows = await ctx.store.list('auditEvents', where, page);
  return { ...rows, items: rows.items.map(eventOf) };
}

/**
 * Starts a live reading of the log for a reader: from the oldest event matching the filter, or
 * just after `lastEventId` (the SSE `Last-Event-ID` of a reader resuming), or after `after` (a
 * page token's position).
 */
export async function followAuditEvents(
  ctx: ServiceContext,
  caller: Caller,
  filter: AuditEventFilter,
  from: { lastEventId?: string | undefined; after?: Cursor | undefined },
): Promise<AuditFollower> {
  const where = auditWhere(filter);
  ensureAuditReader(ctx, caller);
  let after = from.after;
  if (from.lastEventId !== undefined) {
    const row = from.lastEventId.length <= 255 ? await ctx.store.get('auditEvents', from.lastEventId) : undefined;
    if (!row) {
      throw invalidFilter('Last-Event-ID', 'Last-Event-ID names no event in the audit log; follow without it to start from the oldest event');
    }
    after = { createdAt: row.createdAt, id: row.id };
  }
  return AuditFollower.start(ctx.store, where, after);
}

const FOLLOW_BATCH = 500;

/**
 * A live reading of the audit log: first what is stored (oldest first, from `after`), then each
 * event as it is committed by any node. Chains are followed by sequence number rather than by
 * time, so an event committed late with an earlier time (a batch, another node's clock) is still
 * delivered; each event is delivered once. The caller polls `next()`.
 */
export class AuditFollower {
  /** Per chain: every event up to this sequence number has been delivered or skipped. */
  private readonly positions = new Map<string, number>();
  /** Per chain: events past its position that were already delivered (by the backlog). */
  private readonly delivered = new Map<string, Set<number>>();
  private backlog: Cursor | undefined | 'done';

  private constructor(
    private readonly store: Store,
    private readonly where: Where<'auditEvents'>,
    after: Cursor | undefined,
  ) {
    this.backlog = after;
  }

  /** Starts following; the chain heads read here mark where the stored events end. */
  static async start(store: Store, where: Where<'auditEvents'>, after: Cursor | undefined): Promise<AuditFollower> {
    const follower = new AuditFollower(store, where, after);
    for (const head of await listAll(store, 'auditChains', {})) follower.positions.set(head.id, head.seq);
    return follower;
  }

  /** The next events to deliver, oldest first within each chain; empty when there are none yet. */
  async next(): Promise<AuditCloudEvent[]> {
    if (this.backlog !== 'done') return this.readBacklog();
    return this.readNew();
  }

  private async readBacklog(): Promise<AuditCloudEvent[]> {
    const after = this.backlog === 'done' ? undefined : this.backlog;
    const page = await this.store.list('auditEvents', this.where, { limit: FOLLOW_BATCH, after, total: false });
    this.backlog = page.next ?? 'done';
    for (const row of page.items) {
      if (row.seq > (this.positions.get(row.chainId) ?? 0)) this.markDelivered(row);
    }
    return page.items.map(eventOf);
  }

  private async readNew(): Promise<AuditCloudEvent[]> {
    const out: AuditCloudEvent[] = [];
    for (const head of await listAll(this.store, 'auditChains', {})) {
      const position = this.positions.get(head.id) ?? 0;
      if (head.seq <= position) continue;
      // Every event up to the head just read has committed: one pass over them moves the position there.
      const from = eventId(head.id, position + 1);
      let after: Cursor | undefined;
      do {
        const page = await this.store.list('auditEvents', { ...this.where, chainId: head.id, since: { ...this.where.since, id: from } }, { limit: FOLLOW_BATCH, after, total: false });
        for (const row of page.items) {
          if (this.delivered.get(row.chainId)?.has(row.seq)) continue;
          if (row.seq > head.seq) this.markDelivered(row);
          out.push(eventOf(row));
        }
        after = page.next;
      } while (after);
      this.positions.set(head.id, head.seq);
      const delivered = this.delivered.get(head.id);
      if (delivered) for (const seq of delivered) if (seq <= head.seq) delivered.delete(seq);
    }
    return out;
  }

  private markDelivered(row: Row<'auditEvents'>): void {
    const seqs = this.delivered.get(row.chainId) ?? new Set<number>();
    seqs.add(row.seq);
    this.delivered.set(row.chainId, seqs);
  }
}
