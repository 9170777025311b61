import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import { issuedSecrets, startTestKeyplane } from '../../test/support/harness.js';
import type { AuditCloudEvent } from './cloud-event.js';
import { defaultWebhookOptions, JsonLinesFileSink, WEBHOOK_CONTENT_TYPE, WebhookSink, type WebhookSinkOptions } from './sinks.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyplane-sinks-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const lines: string[] = [];
  const logger = createLogger('debug', (line) => {
    lines.push(line);
  });
  const warnings = () => lines.map((l) => JSON.parse(l)).filter((l) => l.level === 'warn');
  return { lines, logger, warnings };
}

function event(n: number): AuditCloudEvent {
  return {
    specversion: '1.0',
    id: `chain-${String(n).padStart(12, '0')}`,
    source: 'crn://confluent.cloud/organization=o',
    type: 'io.confluent.cloud/request',
    time: new Date(Date.UTC(2030, 0, 1, 0, 0, n)).toISOString(),
    subject: 'crn://confluent.cloud/organization=o',
    datacontenttype: 'application/json',
    data: {
      serviceName: 'crn://confluent.cloud/',
      methodName: 'GetAPIKeys',
      resourceName: 'crn://confluent.cloud/organization=o',
      authenticationInfo: { metadata: { mechanism: 'HTTP_BASIC' } },
      requestMetadata: {},
      result: { status: 'SUCCESS' },
    },
  };
}
const events = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => event(from + i));

const readLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');

describe('the JSON-lines file sink', () => {
  it('writes every event of real API calls as one line, 0600, with no secret, and appends across restarts', async () => {
    const file = join(dir, 'api.jsonl');
    const kp = await startTestKeyplane({ KEYPLANE_AUDIT_FILE: file });
    const sa = await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'file-sink', description: '' } });
    const key = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: sa.body.id } } } });
    const secret = key.body.spec.secret as string;
    expect(secret).toMatch(/^cflt/);
    await kp.call('GET', '/iam/v2/api-keys', { auth: { key: key.body.id, secret } });
    const wrong = `${secret.slice(0, -8)}AAAAAAAA`;
    await kp.call('GET', '/iam/v2/api-keys', { auth: { key: key.body.id, secret: wrong } });
    await kp.call('DELETE', `/iam/v2/api-keys/${key.body.id}`);
    await kp.keyplane.audit.flush();
    const stored = (await kp.keyplane.services.store.list('auditEvents', {}, { limit: 1000, total: false })).items;
    await kp.close();

    const first = readLines(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Each line is the event exactly as stored and hashed.
    expect([...first].sort()).toEqual(stored.map((row) => row.data).sort());
    const parsed = first.map((line) => JSON.parse(line) as AuditCloudEvent);
    for (const e of parsed) expect(e).toMatchObject({ specversion: '1.0', id: expect.any(String), type: expect.any(String) });
    const methods = parsed.map((e) => e.data.methodName);
    expect(methods).toEqual(expect.arrayContaining(['CreateServiceAccount', 'CreateAPIKey', 'GetAPIKeys', 'DeleteAPIKey', 'cloud.Authentication']));
    expect(parsed.some((e) => e.data.result.status === 'FAILURE')).toBe(true);
    const text = readFileSync(file, 'utf8');
    for (const s of [...issuedSecrets, wrong]) expect(text.includes(s), `${s.slice(0, 8)}… in the audit file`).toBe(false);

    const again = await startTestKeyplane({ KEYPLANE_AUDIT_FILE: file });
    await again.call('GET', '/iam/v2/api-keys');
    await again.keyplane.audit.flush();
    await again.close();
    const both = readLines(file);
    expect(both.slice(0, first.length)).toEqual(first);
    expect(both.length).toBeGreaterThan(first.length);
    const chains = new Set(both.map((line) => (JSON.parse(line) as AuditCloudEvent).id.slice(0, 36)));
    expect(chains.size).toBe(2);
  });

  it('appends in order, and warns of a failed write and retries it with the next events', async () => {
    const target = join(dir, 'later', 'audit.jsonl');
    const log = capture();
    const sink = new JsonLinesFileSink(target, { logger: log.logger, maxPending: 100 });
    sink.appended(events(1, 3));
    await sink.stop();
    expect(log.warnings().map((w) => w.msg)).toEqual([
      'audit file sink: write failed; the events are kept for the next attempt',
      'audit file sink: write failed; the events are kept for the next attempt',
      'audit file sink: events not written before stopping',
    ]);
    expect(log.warnings()[0].cause).toMatch(/ENOENT/);

    mkdirSync(join(dir, 'later'));
    sink.appended(events(4, 5));
    sink.appended([event(6)]);
    await sink.stop();
    expect(readLines(target).map((l) => (JSON.parse(l) as AuditCloudEvent).id)).toEqual(events(1, 6).map((e) => e.id));
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });
});

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver answering each request with the next status of `script` (the last one repeats); `hang` never answers. */
async function receiver(script: Array<number | 'hang'>): Promise<{ url: string; received: Received[]; delivered: () => AuditCloudEvent[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const delivered: AuditCloudEvent[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const answer = script[Math.min(received.length - 1, script.length - 1)]!;
      if (answer === 'hang') {
        hanging.push(res);
        return;
      }
      if (answer >= 200 && answer < 300) delivered.push(...(JSON.parse(body) as AuditCloudEvent[]));
      if (answer >= 300 && answer < 400) res.setHeader('location', '/elsewhere');
      res.statusCode = answer;
      res.end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ingest?tenant=hunter2`,
    received,
    delivered: () => delivered,
    close: () =>
      new Promise<void>((done) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function webhook(url: string, log: ReturnType<typeof capture>, over: Partial<WebhookSinkOptions> = {}): WebhookSink {
  return new WebhookSink({
    ...defaultWebhookOptions,
    retry: { initialMs: 5, maxMs: 20 },
    drainMs: 2_000,
    batchSize: 3,
    url,
    token: 'tok-hunter2',
    logger: log.logger,
    ...over,
  });
}

describe('the webhook sink', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('retries 503s with back-off and delivers every event once, in order, as a CloudEvents batch with the token', async () => {
    const server = await receiver([503, 503, 200]);
    closers.push(server.close);
    const log = capture();
    const sink = webhook(server.url, log);
    sink.appended(events(1, 4));
    sink.appended(events(5, 5));
    await vi.waitFor(() => expect(server.received.length).toBeGreaterThanOrEqual(2));
    sink.appended(events(6, 10));
    await vi.waitFor(() => expect(server.delivered()).toHaveLength(10));
    await sink.stop();

    expect(server.delivered().map((e) => e.id)).toEqual(events(1, 10).map((e) => e.id));
    expect(server.received.slice(0, 3).map((r) => JSON.parse(r.body).length)).toEqual([3, 3, 3]);
    for (const r of server.received) {
      expect(r).toMatchObject({ method: 'POST', url: '/ingest?tenant=hunter2' });
      expect(r.headers['content-type']).toBe(WEBHOOK_CONTENT_TYPE);
      expect(r.headers.authorization).toBe('Bearer tok-hunter2');
    }
    expect(log.warnings().map((w) => [w.msg, w.status])).toEqual([
      ['audit webhook: POST refused for now; retrying with back-off', 503],
      ['audit webhook: POST refused for now; retrying with back-off', 503],
    ]);
    expect(log.lines.join('')).not.toContain('hunter2');
  });

  it('retries when the receiver cannot be reached', async () => {
    const server = await receiver([200]);
    const url = server.url;
    await server.close();
    const log = capture();
    const sink = webhook(url, log, { drainMs: 100 });
    sink.appended(events(1, 2));
    await vi.waitFor(() => expect(log.warnings().length).toBeGreaterThanOrEqual(2));
    expect(log.warnings()[0]).toMatchObject({ msg: 'audit webhook: POST failed; retrying with back-off', cause: expect.stringMatching(/ECONNREFUSED/) });
    await sink.stop();
    expect(log.warnings().at(-1)).toMatchObject({ msg: 'audit webhook: events not delivered before stopping', events: 2 });
  });

  it('drops a batch answered 400 with a warning, and goes on with the next', async () => {
    const server = await receiver([400, 200]);
    closers.push(server.close);
    const log = capture();
    const sink = webhook(server.url, log);
    sink.appended(events(1, 5));
    await sink.stop();
    expect(server.received).toHaveLength(2);
    expect(server.delivered().map((e) => e.id)).toEqual(events(4, 5).map((e) => e.id));
    expect(log.warnings()).toEqual([
      expect.objectContaining({ msg: 'audit webhook: batch rejected; dropped, as it would be rejected again', status: 400, events: 3 }),
    ]);
  });

  it('never follows a redirect', async () => {
    const server = await receiver([307]);
    closers.push(server.close);
    const log = capture();
    const sink = webhook(server.url, log);
    sink.appended(events(1, 2));
    await sink.stop();
    expect(server.received.map((r) => r.url)).toEqual(['/ingest?tenant=hunter2']);
    expect(log.warnings()).toEqual([expect.objectContaining({ status: 307, msg: expect.stringMatching(/redirect, which is not followed/) })]);
  });

  it('holds at most maxPending events, counts and drops the newest, and warns at most once a minute', async () => {
    const server = await receiver([503]);
    closers.push(server.close);
    const log = capture();
    let clock = 0;
    const sink = webhook(server.url, log, { maxPending: 5, retry: { initialMs: 3_600_000, maxMs: 3_600_000 }, drainMs: 100, now: () => clock });
    sink.appended(events(1, 8));
    await vi.waitFor(() => expect(server.received).toHaveLength(1));
    sink.appended(events(9, 10));
    clock += 59_999;
    sink.appended([event(11)]);
    expect(sink.dropped).toBe(6);
    const dropWarnings = () => log.warnings().filter((w) => /newer ones are dropped/.test(w.msg));
    expect(dropWarnings().map((w) => [w.dropped, w.droppedTotal])).toEqual([[3, 3]]);
    clock += 1;
    sink.appended([event(12)]);
    expect(dropWarnings().map((w) => [w.dropped, w.droppedTotal])).toEqual([
      [3, 3],
      [4, 7],
    ]);
    await sink.stop();
    expect(log.warnings().at(-1)).toMatchObject({ msg: 'audit webhook: events not delivered before stopping', events: 5 });
    expect(JSON.parse(server.received[0]!.body).map((e: AuditCloudEvent) => e.id)).toEqual(events(1, 3).map((e) => e.id));
  });

  it('on stop, cuts a back-off short to deliver what it holds', async () => {
    const server = await receiver([503, 200]);
    closers.push(server.close);
    const log = capture();
    const sink = webhook(server.url, log, { retry: { initialMs: 3_600_000, maxMs: 3_600_000 } });
    sink.appended(events(1, 4));
    await vi.waitFor(() => expect(server.received).toHaveLength(1));
    await sink.stop();
    expect(server.delivered().map((e) => e.id)).toEqual(events(1, 4).map((e) => e.id));
  });

  it('on stop, gives up on a receiver that never answers once the drain time is over', async () => {
    const server = await receiver(['hang']);
    closers.push(server.close);
    const log = capture();
    const sink = webhook(server.url, log, { drainMs: 100 });
    sink.appended(events(1, 2));
    await vi.waitFor(() => expect(server.received).toHaveLength(1));
    await sink.stop();
    expect(log.warnings().at(-1)).toMatchObject({ msg: 'audit webhook: events not delivered before stopping', events: 2 });
  });

  it('is wired to the server by KEYPLANE_AUDIT_WEBHOOK_URL and _TOKEN and receives real events, without secrets', async () => {
    const server = await receiver([200]);
    closers.push(server.close);
    const kp = await startTestKeyplane({ KEYPLANE_AUDIT_WEBHOOK_URL: server.url, KEYPLANE_AUDIT_WEBHOOK_TOKEN: 'tok-wired' });
    const key = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: kp.admin.userId } } } });
    expect(key.status).toBe(202);
    await kp.keyplane.audit.flush();
    await kp.close();
    expect(server.received.length).toBeGreaterThan(0);
    expect(server.received.every((r) => r.headers.authorization === 'Bearer tok-wired')).toBe(true);
    expect(server.delivered().map((e) => e.data.methodName)).toContain('CreateAPIKey');
    const bodies = server.received.map((r) => r.body).join('');
    for (const s of issuedSecrets) expect(bodies.includes(s)).toBe(false);
  });
});
