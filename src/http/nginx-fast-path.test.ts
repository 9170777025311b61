import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { created, createKafkaCluster, createKey, defaultEnvironment } from '../../test/support/data-plane.js';
import { basic, startTestKeyplane, type TestKeyplane } from '../../test/support/harness.js';
import { requestListener } from '../server.js';
import { StoreUnavailable } from '../storage/store.js';

type Key = { key: string; secret: string };
let kp: TestKeyplane;
let server: Server;
let base: string;
let lkc: string;
let verifier: Key;
let client: Key;
let cloud: Key;

beforeAll(async () => {
  kp = await startTestKeyplane();
  server = createServer(requestListener(kp.keyplane));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const envId = await defaultEnvironment(kp);
  lkc = await createKafkaCluster(kp, envId);
  const sa = (await created(kp, '/iam/v2/service-accounts', { display_name: 'gateway' })).id;
  verifier = await createKey(kp, sa, { id: lkc, environment: envId });
  client = await createKey(kp, sa, { id: lkc, environment: envId });
  cloud = await createKey(kp, sa);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await kp.close();
});

interface Seen {
  status: number;
  headers: Record<string, string | null>;
  body: unknown;
}

const compared = ['x-keyplane-principal', 'x-keyplane-key', 'x-keyplane-reason', 'www-authenticate', 'retry-after', 'content-type'];

async function seen(res: Response): Promise<Seen> {
  const text = await res.text();
  const body = text ? (JSON.parse(text) as { errors?: Array<Record<string, unknown>> }) : null;
  // Request ids differ between two requests by nature.
  for (const error of body?.errors ?? []) delete error.id;
  return { status: res.status, headers: Object.fromEntries(compared.map((h) => [h, res.headers.get(h)?.split(';')[0] ?? null])), body };
}

/** The same request through the listening server's fast path and through the app's route. */
async function both(headers: Record<string, string>): Promise<{ fast: Seen; routed: Seen; requestId: string | null }> {
  const fastRes = await fetch(`${base}/v1/auth/nginx`, { headers });
  const requestId = fastRes.headers.get('x-request-id');
  const fast = await seen(fastRes);
  const routed = await seen(await kp.keyplane.app.request(`${kp.publicUrl}/v1/auth/nginx`, { headers }));
  return { fast, routed, requestId };
}

describe('the nginx endpoint on a listening server', () => {
  const configured = () => ({ 'x-keyplane-resource': lkc, 'x-keyplane-verifier': basic(verifier.key, verifier.secret) });

  it.each([
    ['a valid key', () => ({ ...configured(), authorization: basic(client.key, client.secret) }), 200],
    ['a wrong secret', () => ({ ...configured(), authorization: basic(client.key, 'wrong') }), 401],
    ['no credentials', () => configured(), 401],
    ['a Cloud key', () => ({ ...configured(), authorization: basic(cloud.key, cloud.secret) }), 403],
    ['no resource header', () => ({ 'x-keyplane-verifier': basic(verifier.key, verifier.secret), authorization: basic(client.key, client.secret) }), 403],
    ['a verifier that may not verify', () => ({ ...configured(), 'x-keyplane-verifier': basic(cloud.key, cloud.secret), authorization: basic(client.key, client.secret) }), 403],
  ])('answers %s as the route does (%i)', async (_, headers, status) => {
    const { fast, routed, requestId } = await both(headers());
    expect(fast.status).toBe(status);
    expect(fast).toEqual(routed);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a sane X-Request-Id the caller sends', async () => {
    const res = await fetch(`${base}/v1/auth/nginx`, { headers: { ...configured(), 'x-request-id': 'nginx-42' } });
    expect(res.headers.get('x-request-id')).toBe('nginx-42');
  });

  it('answers a database outage in place, checking and reporting the credentials once', async () => {
    const { services } = kp.keyplane;
    const seen: string[] = [];
    const observer = services.authentications;
    services.authentications = { authenticated: (e) => seen.push(`${e.keyId} ${e.outcome}`) };
    // The client's key is not cached, so its check reads the store, which is down.
    services.keys.forget([client.key]);
    const get = vi.spyOn(services.store, 'get').mockRejectedValue(new StoreUnavailable());
    try {
      const res = await fetch(`${base}/v1/auth/nginx`, { headers: { ...configured(), authorization: basic(client.key, client.secret) } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('database_unavailable');
      expect(seen).toEqual([`${verifier.key} success`]);
    } finally {
      get.mockRestore();
      services.authentications = observer;
    }
  });

  it('leaves every other request to the app', async () => {
    expect((await fetch(`${base}/v1/auth/nginxx`)).status).toBe(404);
    const post = await fetch(`${base}/v1/auth/nginx`, { method: 'POST', headers: configured() });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const query = await fetch(`${base}/v1/auth/nginx?from=nginx`, { headers: { ...configured(), authorization: basic(client.key, client.secret) } });
    expect(query.status).toBe(200);
  });
});

describe('request bodies over HTTP', () => {
  const admin = () => basic(kp.admin.key, kp.admin.secret);
  const big = () => JSON.stringify({ display_name: 'x'.repeat(70_000) });

  it('refuses a declared length past the limit before reading, and changes nothing', async () => {
    const before = (await kp.call('GET', '/iam/v2/service-accounts')).body.data.length;
    const res = await fetch(`${base}/iam/v2/service-accounts`, { method: 'POST', headers: { authorization: admin(), 'content-type': 'application/json' }, body: big() });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('payload_too_large');
    expect((await kp.call('GET', '/iam/v2/service-accounts')).body.data.length).toBe(before);
  });

  it('counts a chunked body as it reads it', async () => {
    const text = big();
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < text.length; i += 8192) controller.enqueue(new TextEncoder().encode(text.slice(i, i + 8192)));
        controller.close();
      },
    });
    const res = await fetch(`${base}/iam/v2/service-accounts`, {
      method: 'POST',
      headers: { authorization: admin(), 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('drops a byte-order mark as fetch does', async () => {
    const res = await fetch(`${base}/iam/v2/service-accounts`, {
      method: 'POST',
      headers: { authorization: admin(), 'content-type': 'application/json' },
      body: `\uFEFF${JSON.stringify({ display_name: 'with-bom' })}`,
    });
    expect(res.status).toBe(201);
  });

  it('reads a small body straight from the request', async () => {
    const res = await fetch(`${base}/iam/v2/service-accounts`, {
      method: 'POST',
      headers: { authorization: admin(), 'content-type': 'application/json' },
      body: JSON.stringify({ display_name: 'read-over-http', description: 'é ü 日本' }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { description: string }).description).toBe('é ü 日本');
  });
});
