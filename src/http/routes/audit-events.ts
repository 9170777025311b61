import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AuditCloudEvent } from '../../audit/cloud-event.js';
import { KeyplaneError } from '../../domain/errors.js';
import { type AuditEventFilter, type AuditFollower, followAuditEvents, listAuditEvents, mayStillFollow } from '../../services/audit-query.js';
import { StoreUnavailable } from '../../storage/store.js';
import type { Api } from '../api.js';
import { booleanParam, queryParam } from '../body.js';
import { callerOf } from '../caller.js';
import { listEnvelope, readPage } from '../paging.js';
import { timeParam } from '../time-param.js';
import type { AppEnv } from '../types.js';

const TAG = 'Audit log (audit/v1)';

/** How often a follower asks the database for new events: other nodes' events arrive only through it. */
const POLL_MS = 1000;
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;
const MAX_AUDIT_PAGE_SIZE = 1000;

function filterOf(c: Context<AppEnv>): AuditEventFilter {
  return {
    method: queryParam(c, 'method'),
    principal: queryParam(c, 'principal'),
    resource: queryParam(c, 'resource'),
    result: queryParam(c, 'result'),
    type: queryParam(c, 'type'),
    since: timeParam(c, 'since'),
    until: timeParam(c, 'until'),
  };
}

/** `newest_first` pages down from the latest event; the default stays oldest first. */
function newestFirstParam(c: Context<AppEnv>): boolean {
  const value = queryParam(c, 'order');
  if (value === undefined || value === 'oldest_first') return false;
  if (value === 'newest_first') return true;
  throw new KeyplaneError('invalid_filter', 'order must be oldest_first or newest_first', { source: { parameter: 'order' } });
}

export function registerAuditEventRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/audit/v1/events',
      summary: 'List audit events, oldest first unless order=newest_first, or follow them as server-sent events (follow=true)',
      tag: TAG,
      query: [
        { name: 'method', description: 'Only events of this method name (CreateAPIKey, GetAPIKeys, kafka.Authentication, …)' },
        { name: 'principal', description: 'Only events of this principal: User:u-…, User:sa-…, u-… or sa-…' },
        { name: 'resource', description: 'Only events whose resource CRN starts with this' },
        { name: 'result', description: 'success or failure' },
        { name: 'type', description: 'Only events of this CloudEvents type' },
        { name: 'since', description: 'Only events at or after this RFC 3339 time' },
        { name: 'until', description: 'Only events before this RFC 3339 time' },
        { name: 'order', description: 'oldest_first (the default) or newest_first; follow=true reads oldest first only' },
        { name: 'page_size', description: `Items per page, default 10, at most ${MAX_AUDIT_PAGE_SIZE}` },
        { name: 'page_token', description: 'From metadata.next of the previous page' },
        {
          name: 'follow',
          description:
            'true: answer text/event-stream, the matching events and then each new one as it is committed; send Last-Event-ID to resume',
        },
      ],
      responses: { 200: 'A page of audit events (CloudEvents 1.0), or with follow=true a stream of them' },
    },
    async (c) => {
      const filter = filterOf(c);
      const follow = booleanParam(c, 'follow', { code: 'invalid_filter', anyCase: true });
      const newestFirst = newestFirstParam(c);
      if (follow && newestFirst) {
        throw new KeyplaneError('invalid_filter', 'follow=true streams events as they come, oldest first; leave out order=newest_first', {
          source: { parameter: 'order' },
        });
      }
      const page = { ...readPage(c, MAX_AUDIT_PAGE_SIZE), newestFirst };
      const services = c.get('services');
      const caller = await callerOf(c);
      if (!follow) {
        const events = await listAuditEvents(services, caller, filter, page);
        return c.json(listEnvelope(c, 'audit/v1', 'AuditEventList', events, events.items));
      }
      const lastEventId = c.req.header('last-event-id')?.trim() || undefined;
      const follower = await followAuditEvents(services, caller, filter, { lastEventId, after: page.after });
      return streamSSE(c, (stream) => deliver(c, follower, stream));
    },
  );
}

/** How often a stream checks that its reader may still read the log (key not deleted, role not removed). */
const REAUTHORIZE_MS = 30_000;

type SseStream = Parameters<Parameters<typeof streamSSE>[1]>[0];

/** Writes events until the reader goes away. The database being unreachable only delays them. */
async function deliver(c: Context<AppEnv>, follower: AuditFollower, stream: SseStream): Promise<void> {
  const logger = c.get('logger');
  const services = c.get('services');
  const actor = c.get('actor');
  let quietSince = Date.now();
  let checkedAt = Date.now();
  while (!stream.aborted) {
    if (Date.now() - checkedAt >= REAUTHORIZE_MS) {
      checkedAt = Date.now();
      const allowed = await mayStillFollow(services, actor).catch((error: unknown) => {
        if (error instanceof StoreUnavailable) return true;
        throw error;
      });
      if (!allowed) {
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ code: 'user_unauthorized' }) });
        return;
      }
    }
    let events: AuditCloudEvent[];
    try {
      events = await follower.next();
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) {
        logger.error('audit follow failed', { request_id: c.get('requestId'), error: error instanceof Error ? error.message : String(error) });
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ code: 'internal_error' }) });
        return;
      }
      events = [];
    }
    for (const event of events) {
      if (stream.aborted) return;
      await stream.writeSSE({ id: event.id, data: JSON.stringify(event) });
    }
    if (events.length > 0) {
      quietSince = Date.now();
      continue;
    }
    if (Date.now() - quietSince >= KEEP_ALIVE_MS) {
      await stream.write(': keep-alive\n\n');
      quietSince = Date.now();
    }
    await stream.sleep(POLL_MS);
  }
}
