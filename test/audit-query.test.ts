import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mayStillFollow } from '../src/services/audit-query.js';
import type { AuditCloudEvent } from '../src/audit/cloud-event.js';
import { basic, startTestKeyplane, type TestKeyplane } from './support/harness.js';
import { addPrincipal, crns } from './support/principals.js';

let kp: TestKeyplane;
let keyId: string;

interface EventList {
  api_version: string;
  kind: string;
  metadata: { first: string; next?: string };
  data: AuditCloudEvent[];
}

async function list(query: string, auth?: { key: string; secret: string }): Promise<EventList> {
  const res = await kp.call<EventList>('GET', `/audit/v1/events?${query}`, auth ? { auth } : {});
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** Every matching event, following metadata.next. */
async function listAll(query: string): Promise<AuditCloudEvent[]> {
  const out: AuditCloudEvent[] = [];
  let path: string | undefined = `/audit/v1/events?${query}`;
  while (path) {
    const res: { status: number; body: EventList } = await kp.call<EventList>('GET', path);
    expect(res.status).toBe(200);
    out.push(...res.body.data);
    path = res.body.metadata.next?.slice(kp.publicUrl.length);
  }
  return out;
}

beforeAll(async () => {
  kp = await startTestKeyplane();
  const created = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: kp.admin.userId }, description: 'queried' } } });
  keyId = created.body.id;
  await kp.call('GET', `/iam/v2/api-keys/${keyId}`);
  expect((await kp.call('GET', '/iam/v2/api-keys/NOSUCHKEY0000000')).status).toBe(404);
  await kp.keyplane.audit.flush();
});
afterAll(() => kp?.close());

describe('GET /audit/v1/events', () => {
  it("answers Confluent's list envelope of CloudEvents, oldest first", async () => {
    const body = await list('page_size=1000');
    expect(body).toMatchObject({ api_version: 'audit/v1', kind: 'AuditEventList', metadata: { first: expect.stringContaining('/audit/v1/events') } });
    expect(body.data.length).toBeGreaterThanOrEqual(3);
    const times = body.data.map((e) => e.time);
    expect(times).toEqual([...times].sort());
    expect(body.data[0]).toMatchObject({ specversion: '1.0', id: expect.any(String), source: kp.keyplane.services.crn.organization() });
  });

  it('filters by method, principal, resource prefix, result and type', async () => {
    const created = await listAll('method=CreateAPIKey');
    expect(created.map((e) => e.data.resourceName)).toContain(kp.keyplane.services.crn.apiKey(keyId));
    expect(created.every((e) => e.data.methodName === 'CreateAPIKey')).toBe(true);

    const mine = await listAll(`principal=${kp.admin.userId}`);
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine.every((e) => e.data.authenticationInfo.principal === `User:${kp.admin.userId}`)).toBe(true);
    expect((await listAll(`principal=User:${kp.admin.userId}`)).map((e) => e.id)).toEqual(mine.map((e) => e.id));
    expect(await listAll('principal=u-nobody0')).toEqual([]);

    const onKey = await listAll(`resource=${encodeURIComponent(kp.keyplane.services.crn.apiKey(keyId))}`);
    expect(onKey.map((e) => e.data.methodName).sort()).toEqual(['CreateAPIKey', 'GetAPIKey']);
    const inOrg = await listAll(`resource=${encodeURIComponent(kp.keyplane.services.crn.organization())}`);
    expect(inOrg.length).toBeGreaterThan(onKey.length);

    const failed = await listAll('result=failure');
    expect(failed.map((e) => e.data.result.errorCode)).toContain('api_key_not_found');
    expect(failed.every((e) => e.data.result.status === 'FAILURE')).toBe(true);
    expect((await listAll('result=SUCCESS')).every((e) => e.data.result.status === 'SUCCESS')).toBe(true);

    const requests = await listAll('type=io.confluent.cloud/request');
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(requests.every((e) => e.type === 'io.confluent.cloud/request')).toBe(true);
    expect(await listAll('type=io.example/none')).toEqual([]);
  });

  it('filters by time: since is inclusive, until exclusive', async () => {
    const all = await listAll('method=CreateAPIKey');
    const first = all[0]!;
    expect((await listAll(`method=CreateAPIKey&since=${encodeURIComponent(first.time)}`)).map((e) => e.id)).toContain(first.id);
    expect((await listAll(`method=CreateAPIKey&until=${encodeURIComponent(first.time)}`)).map((e) => e.id)).not.toContain(first.id);
    expect(await listAll('since=2999-01-01T00:00:00Z')).toEqual([]);
    expect(await listAll('until=2000-01-01T00:00:00%2B01:00')).toEqual([]);
  });

  it('pages with page_size and page_token, keeping the filters', async () => {
    for (let i = 0; i < 4; i++) await kp.call('GET', `/iam/v2/api-keys/${keyId}`);
    await kp.keyplane.audit.flush();
    const whole = (await list('method=GetAPIKey&page_size=1000')).data;
    expect(whole.length).toBeGreaterThanOrEqual(5);
    const first = await list('method=GetAPIKey&page_size=2');
    expect(first.data).toHaveLength(2);
    expect(first.metadata.next).toContain('method=GetAPIKey');
    expect((await listAll('method=GetAPIKey&page_size=2')).map((e) => e.id)).toEqual(whole.map((e) => e.id));
  });

  it('pages newest first with order=newest_first, the same events in reverse', async () => {
    const oldest = (await list('method=GetAPIKey&page_size=1000')).data;
    const first = await list('method=GetAPIKey&order=newest_first&page_size=2');
    expect(first.data.map((e) => e.id)).toEqual(oldest.slice(-2).reverse().map((e) => e.id));
    expect(first.metadata.next).toContain('order=newest_first');
    expect((await listAll('method=GetAPIKey&order=newest_first&page_size=2')).map((e) => e.id)).toEqual(oldest.map((e) => e.id).reverse());
  });

  it.each([
    ['result=maybe', 'result'],
    ['principal=nobody', 'principal'],
    ['resource=lkc-123', 'resource'],
    ['since=yesterday', 'since'],
    ['until=2026-02-30T00:00:00Z', 'until'],
    ['since=2026-02-02T00:00:00Z&until=2026-02-01T00:00:00Z', 'until'],
    ['follow=maybe', 'follow'],
    ['order=sideways', 'order'],
    ['follow=true&order=newest_first', 'order'],
    ['page_size=0', 'page_size'],
    ['page_token=garbage', 'page_token'],
    [`method=${'x'.repeat(2000)}`, 'method'],
  ])('refuses %s with a 400 naming the parameter', async (query, parameter) => {
    const res = await kp.call('GET', `/audit/v1/events?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].source).toEqual({ parameter });
  });

  it('is allowed to OrganizationAdmin and AuditLogReader, refused to everyone else', async () => {
    const c = crns(kp);
    const admin = await addPrincipal(kp, 'user', [{ role: 'OrganizationAdmin', crn: c.organization() }]);
    const reader = await addPrincipal(kp, 'service-account', [{ role: 'AuditLogReader', crn: c.organization() }]);
    expect((await list('page_size=5', admin.auth)).data.length).toBeGreaterThan(0);
    expect((await list('page_size=5', reader.auth)).data.length).toBeGreaterThan(0);
    for (const bindings of [[], [{ role: 'AccountAdmin' as const, crn: c.organization() }], [{ role: 'MetricsViewer' as const, crn: c.organization() }]]) {
      const other = await addPrincipal(kp, 'user', bindings);
      const res = await kp.call('GET', '/audit/v1/events', { auth: other.auth });
      expect(res.status).toBe(403);
      expect(res.body.errors[0].code).toBe('user_unauthorized');
      const follow = await kp.call('GET', '/audit/v1/events?follow=true', { auth: other.auth });
      expect(follow.status).toBe(403);
    }
  });

  it('stops letting a follower read once its binding or its key is gone', async () => {
    const c = crns(kp);
    const services = kp.keyplane.services;
    const reader = await addPrincipal(kp, 'service-account', [{ role: 'AuditLogReader', crn: c.organization() }]);
    const actor = { via: 'key' as const, principalId: reader.id, principalKind: 'ServiceAccount' as const, keyId: reader.key };
    expect(await mayStillFollow(services, actor)).toBe(true);
    await services.store.deleteWhere('roleBindings', { principal: reader.principal });
    expect(await mayStillFollow(services, actor)).toBe(false);
    const other = await addPrincipal(kp, 'service-account', [{ role: 'AuditLogReader', crn: c.organization() }]);
    const otherActor = { via: 'key' as const, principalId: other.id, principalKind: 'ServiceAccount' as const, keyId: other.key };
    await services.store.delete('apiKeys', other.key);
    expect(await mayStillFollow(services, otherActor)).toBe(false);
  });
});

/** Reads server-sent events from a response body. */
class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';

  constructor(response: Response) {
    this.reader = response.body!.getReader();
  }

  /** Reads events until one satisfies `done`; returns every event read. */
  async until(done: (event: { id: string; data: AuditCloudEvent }) => boolean): Promise<Array<{ id: string; data: AuditCloudEvent }>> {
    const out: Array<{ id: string; data: AuditCloudEvent }> = [];
    for (;;) {
      let end = this.buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
        if (fields.data !== undefined) {
          const event = { id: fields.id!, data: JSON.parse(fields.data) as AuditCloudEvent };
          out.push(event);
          if (done(event)) return out;
        }
        end = this.buffer.indexOf('\n\n');
      }
      const { value, done: finished } = await this.reader.read();
      if (finished) throw new Error(`the stream ended after ${out.length} events`);
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  close(): Promise<void> {
    return this.reader.cancel();
  }
}

async function follow(query: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await kp.keyplane.app.request(`${kp.publicUrl}/audit/v1/events?follow=true&${query}`, {
    headers: { authorization: basic(kp.admin.key, kp.admin.secret), ...headers },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  return res;
}

describe('GET /audit/v1/events?follow=true', () => {
  it('streams the stored events, then one committed after it started', async () => {
    const stored = (await list('method=CreateAPIKey&page_size=1000')).data;
    const stream = new SseReader(await follow('method=CreateAPIKey'));
    try {
      const backlog = await stream.until((e) => e.id === stored.at(-1)!.id);
      expect(backlog.map((e) => e.id)).toEqual(stored.map((e) => e.id));
      expect(backlog[0]!.data).toEqual(stored[0]);

      const created = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: kp.admin.userId }, description: 'followed' } } });
      const live = await stream.until((e) => e.data.data.resourceName === kp.keyplane.services.crn.apiKey(created.body.id));
      expect(live.map((e) => e.data.data.methodName)).toEqual(['CreateAPIKey']);
      expect(live[0]!.id).toBe(live[0]!.data.id);
    } finally {
      await stream.close();
    }
  });

  it('delivers a read recorded in a batch after a change committed at once, each once', async () => {
    const stream = new SseReader(await follow(`resource=${encodeURIComponent(kp.keyplane.services.crn.apiKey(keyId))}`));
    try {
      const stored = (await list(`resource=${encodeURIComponent(kp.keyplane.services.crn.apiKey(keyId))}&page_size=1000`)).data;
      await stream.until((e) => e.id === stored.at(-1)!.id);
      // A read is recorded in a batch, a change at once: the change is committed first, the read later with an earlier time.
      await kp.call('GET', `/iam/v2/api-keys/${keyId}`);
      await kp.call('PATCH', `/iam/v2/api-keys/${keyId}`, { body: { spec: { description: 'changed while followed' } } });
      const changed = await stream.until((e) => e.data.data.methodName === 'UpdateAPIKey');
      await kp.keyplane.audit.flush();
      const read = await stream.until((e) => e.data.data.methodName === 'GetAPIKey');
      const ids = [...changed, ...read].map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      await stream.close();
    }
  });

  it('resumes after Last-Event-ID', async () => {
    const stored = (await list('method=CreateAPIKey&page_size=1000')).data;
    expect(stored.length).toBeGreaterThanOrEqual(2);
    const stream = new SseReader(await follow('method=CreateAPIKey', { 'last-event-id': stored[0]!.id }));
    try {
      const resumed = await stream.until((e) => e.id === stored.at(-1)!.id);
      expect(resumed.map((e) => e.id)).toEqual(stored.slice(1).map((e) => e.id));
    } finally {
      await stream.close();
    }
    const unknown = await kp.call('GET', '/audit/v1/events?follow=true', { headers: { 'last-event-id': 'no-such-event' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].source).toEqual({ parameter: 'Last-Event-ID' });
  });
});
