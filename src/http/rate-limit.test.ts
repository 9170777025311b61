import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { spyOnSecretChecks } from '../../test/support/data-plane.js';
import { type Reply, startTestKeyplane, type TestKeyplane } from '../../test/support/harness.js';
import { newApiKeyId } from '../domain/ids.js';
import { addressKey, BucketMap, MAX_BUCKETS, RateLimits } from './rate-limit.js';

// Low limits, so that a handful of requests meets each: 5 at once then 1 a second per principal
// (and per address without credentials), 3 failed authentications a minute per key id, 6 per
// address. Under app.request() every request comes from the address `unknown`.
const LIMITS = {
  KEYPLANE_RATE_LIMIT_PER_MINUTE: '60',
  KEYPLANE_RATE_LIMIT_BURST: '5',
  KEYPLANE_AUTH_FAILURES_PER_MINUTE: '3',
  KEYPLANE_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: '6',
};

let kp: TestKeyplane;
let now: number;
let second: { key: string; secret: string };
let robot: { key: string; secret: string };

/** Moves the server's clock on; the buckets read no other. */
function advance(ms: number): void {
  now += ms;
}

function wrongSecret(key: string) {
  return { key, secret: `cflt${randomBytes(27).toString('hex').slice(0, 54)}AAAAAA` };
}

function limitHeaders(res: Reply) {
  return {
    limit: res.headers.get('x-ratelimit-limit'),
    remaining: res.headers.get('x-ratelimit-remaining'),
    reset: res.headers.get('x-ratelimit-reset'),
  };
}

function expectTooMany(res: Reply, retryAfter: number) {
  expect(res.status).toBe(429);
  expect(res.headers.get('retry-after')).toBe(String(retryAfter));
  expect(res.body.errors[0]).toMatchObject({ status: '429', code: 'too_many_requests', title: 'Too Many Requests' });
}

beforeAll(async () => {
  kp = await startTestKeyplane(LIMITS);
  now = Date.now();
  kp.keyplane.services.now = () => new Date(now);
  const created = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: kp.admin.userId } } } });
  expect(created.status).toBe(202);
  second = { key: created.body.id, secret: created.body.spec.secret };
  const account = await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'rate-limited-robot' } });
  expect(account.status).toBe(201);
  const robotKey = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: account.body.id } } } });
  expect(robotKey.status).toBe(202);
  robot = { key: robotKey.body.id, secret: robotKey.body.spec.secret };
});
afterAll(() => kp.close());

// A minute on, every bucket is full again.
beforeEach(() => {
  advance(60_000);
  vi.restoreAllMocks();
});



describe('management requests per principal', () => {
  it('puts the limit, what is left and the seconds until the bucket is full on every answer', async () => {
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(limitHeaders(await kp.call('GET', '/iam/v2/api-keys')));
    expect(seen).toEqual([
      { limit: '5', remaining: '4', reset: '1' },
      { limit: '5', remaining: '3', reset: '2' },
      { limit: '5', remaining: '2', reset: '3' },
    ]);
  });

  it('answers 429 with Retry-After and a Failure once the burst is spent, and serves again as it refills', async () => {
    for (let i = 0; i < 5; i++) expect((await kp.call('GET', '/iam/v2/api-keys')).status).toBe(200);
    const refused = await kp.call('GET', '/iam/v2/api-keys');
    expectTooMany(refused, 1);
    expect(refused.body.errors[0].detail).toContain(kp.admin.userId);
    expect(limitHeaders(refused)).toEqual({ limit: '5', remaining: '0', reset: '5' });

    advance(999);
    expectTooMany(await kp.call('GET', '/iam/v2/api-keys'), 1);
    advance(1);
    const served = await kp.call('GET', '/iam/v2/api-keys');
    expect(served.status).toBe(200);
    expect(limitHeaders(served)).toEqual({ limit: '5', remaining: '0', reset: '5' });

    advance(5000);
    expect(limitHeaders(await kp.call('GET', '/iam/v2/api-keys'))).toEqual({ limit: '5', remaining: '4', reset: '1' });
  });

  it('counts all keys of one principal in one bucket', async () => {
    for (let i = 0; i < 3; i++) expect((await kp.call('GET', '/iam/v2/api-keys')).status).toBe(200);
    const withSecond = await kp.call('GET', '/iam/v2/api-keys', { auth: second });
    expect(limitHeaders(withSecond).remaining).toBe('1');
    expect((await kp.call('GET', '/iam/v2/api-keys', { auth: second })).status).toBe(200);
    expectTooMany(await kp.call('GET', '/iam/v2/api-keys'), 1);
    expectTooMany(await kp.call('GET', '/iam/v2/api-keys', { auth: second }), 1);
  });

  it('counts each principal on its own', async () => {
    for (let i = 0; i < 5; i++) await kp.call('GET', '/iam/v2/api-keys');
    expectTooMany(await kp.call('GET', '/iam/v2/api-keys'), 1);
    const other = await kp.call('GET', '/iam/v2/api-keys', { auth: robot });
    expect(other.status).toBe(200);
    expect(limitHeaders(other)).toEqual({ limit: '5', remaining: '4', reset: '1' });
  });
});

describe('requests without credentials', () => {
  it('count against the source address, with the same limits, on every kind of answer', async () => {
    const health = await kp.call('GET', '/healthz', { auth: false });
    expect(health.status).toBe(200);
    expect(limitHeaders(health)).toEqual({ limit: '5', remaining: '4', reset: '1' });
    const unauthenticated = await kp.call('GET', '/iam/v2/api-keys', { auth: false });
    expect(unauthenticated.status).toBe(401);
    expect(limitHeaders(unauthenticated)).toEqual({ limit: '5', remaining: '3', reset: '2' });
    const missing = await kp.call('GET', '/iam/v9/nothing', { auth: false });
    expect(missing.status).toBe(404);
    expect(limitHeaders(missing).remaining).toBe('2');
    const document = await kp.call('GET', '/openapi.json', { auth: false });
    expect(limitHeaders(document).remaining).toBe('1');
    const tooLarge = await kp.call('POST', '/iam/v2/api-keys', { raw: 'x'.repeat(70_000), auth: false, skipSpec: true, headers: { 'content-length': '70000' } });
    expect(tooLarge.status).toBe(413);
    expect(limitHeaders(tooLarge).remaining).toBe('0');

    const refused = await kp.call('GET', '/healthz', { auth: false });
    expectTooMany(refused, 1);
    expect(refused.body.errors[0].detail).toMatch(/from this address/);
    expectTooMany(await kp.call('GET', '/iam/v9/nothing', { auth: false }), 1);
    expectTooMany(await kp.call('GET', '/iam/v2/api-keys', { auth: false }), 1);
    // An authenticated caller from the same address has its own bucket.
    expect((await kp.call('GET', '/iam/v2/api-keys')).status).toBe(200);
  });

  it('count by the address of the socket on a listening server', async () => {
    for (let i = 0; i < 5; i++) await kp.call('GET', '/healthz', { auth: false });
    expectTooMany(await kp.call('GET', '/healthz', { auth: false }), 1);
    const { url, close } = await listenOnLoopback();
    try {
      const res = await fetch(`${url}/healthz`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-remaining')).toBe('4');
      for (let i = 0; i < 4; i++) await fetch(`${url}/healthz`, { headers: { 'x-forwarded-for': `203.0.113.${i}` } });
      const refused = await fetch(`${url}/healthz`, { headers: { 'x-forwarded-for': '198.51.100.1' } });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
    } finally {
      await close();
    }
  });
});

describe('failed authentications', () => {
  it('refuses a key id after 3 wrong secrets, without checking even the right one, until a token is back', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await kp.call('GET', '/iam/v2/api-keys', { auth: wrongSecret(kp.admin.key) });
      expect(res.status).toBe(401);
      expect(res.body.errors[0].detail).toBe('The API key or secret is not valid');
    }
    const checks = spyOnSecretChecks(kp);
    const guess = await kp.call('GET', '/iam/v2/api-keys', { auth: wrongSecret(kp.admin.key) });
    expectTooMany(guess, 20);
    expect(guess.body.errors[0].detail).toContain(`API key ${kp.admin.key}`);
    const right = await kp.call('GET', '/iam/v2/api-keys');
    expectTooMany(right, 20);
    // Answered with the address's bucket: the request never authenticated.
    expect(limitHeaders(right)).toEqual({ limit: '5', remaining: '0', reset: '5' });
    expect(checks()).toBe(0);

    // Another key of the same principal is not the key being guessed.
    expect((await kp.call('GET', '/iam/v2/api-keys', { auth: second })).status).toBe(200);
    advance(19_999);
    expectTooMany(await kp.call('GET', '/iam/v2/api-keys'), 1);
    advance(1);
    expect((await kp.call('GET', '/iam/v2/api-keys')).status).toBe(200);
    expect(checks()).toBe(2);
  });

  it('takes nothing for a success', async () => {
    expect((await kp.call('GET', '/iam/v2/api-keys', { auth: wrongSecret(kp.admin.key) })).status).toBe(401);
    expect((await kp.call('GET', '/iam/v2/api-keys', { auth: wrongSecret(kp.admin.key) })).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await kp.call('GET', '/iam/v2/api-keys')).status).toBe(200);
    // 5 s on, a quarter of a token is back: one more failure leaves a quarter, and the next needs 15 s.
    advance(5000);
    expect((await kp.call('GET', '/iam/v2/api-keys', { auth: wrongSecret(kp.admin.key) })).status).toBe(401);
    const refused = await kp.call('GET', '/iam/v2/api-keys', { auth: wrongSecret(kp.admin.key) });
    expectTooMany(refused, 15);
    expect(refused.body.errors[0].detail).toContain(`API key ${kp.admin.key}`);
  });

  it('takes nothing for a missing or malformed header: that is no guess at a key', async () => {
    for (const auth of [false, 'Bearer abc', `Basic ${Buffer.from('nocolon').toString('base64')}`] as const) {
      expect((await kp.call('GET', '/iam/v2/api-keys', { auth })).status).toBe(401);
    }
    // Pauses refill the address's request bucket (5 at once); the 6 failures the address is allowed remain.
    advance(3000);
    for (let i = 0; i < 5; i++) {
      expect((await kp.call('GET', '/iam/v2/api-keys', { auth: wrongSecret(newApiKeyId(randomBytes)) })).status).toBe(401);
    }
    advance(1000);
    expect((await kp.call('GET', '/iam/v2/api-keys', { auth: wrongSecret(newApiKeyId(randomBytes)) })).status).toBe(401);
  });

  it('refuses an address after 6 failures with unknown key ids, for any key, until a token is back', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await kp.call('GET', '/iam/v2/api-keys', { auth: wrongSecret(newApiKeyId(randomBytes)) });
      expect(res.status).toBe(401);
    }
    // A second on (the address's request bucket has a token again), a string that cannot be a
    // key id fails too: it counts against the address alone. A tenth of a token is back each second.
    advance(1000);
    expect((await kp.call('GET', '/iam/v2/api-keys', { auth: wrongSecret('not-a-key') })).status).toBe(401);
    advance(1000);
    const checks = spyOnSecretChecks(kp);
    const guess = await kp.call('GET', '/iam/v2/api-keys', { auth: wrongSecret(newApiKeyId(randomBytes)) });
    expectTooMany(guess, 8);
    expect(guess.body.errors[0].detail).toMatch(/from this address/);
    expectTooMany(await kp.call('GET', '/iam/v2/api-keys', { auth: robot }), 8);
    expect(checks()).toBe(0);
    advance(8_000);
    expect((await kp.call('GET', '/iam/v2/api-keys', { auth: robot })).status).toBe(200);
  });

  it('evaluates no more concurrent guesses than the limit, and refuses none of a burst of right secrets', async () => {
    const checks = spyOnSecretChecks(kp);
    const guesses = await Promise.all(
      Array.from({ length: 10 }, () => kp.call('GET', '/iam/v2/api-keys', { auth: wrongSecret(robot.key) })),
    );
    expect(guesses.map((r) => r.status).sort()).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    expect(checks()).toBe(3);

    advance(60_000);
    const right = await Promise.all(Array.from({ length: 5 }, () => kp.call('GET', '/iam/v2/api-keys', { auth: robot })));
    expect(right.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });
});

describe('the buckets', () => {
  it(`hold at most ${MAX_BUCKETS} names however many random key ids come`, () => {
    const limits = new RateLimits({
      requestsPerMinute: 60,
      burst: 5,
      authFailuresPerKeyPerMinute: 3,
      authFailuresPerAddressPerMinute: 6,
    });
    const random = randomBytes(200_000 * 8)
      .toString('hex')
      .toUpperCase();
    let most = 0;
    for (let i = 0; i < 200_000; i++) {
      limits.failuresByKey.take(random.slice(i * 16, i * 16 + 16), 0);
      most = Math.max(most, limits.failuresByKey.size);
    }
    expect(most).toBe(MAX_BUCKETS);
    expect(limits.failuresByKey.size).toBeLessThanOrEqual(MAX_BUCKETS);
  });

  it('drop buckets that are full again, and keep none for a reservation given back', () => {
    const map = new BucketMap({ capacity: 1, perMinute: 60 }, 100);
    for (const name of ['a', 'b', 'c']) expect(map.take(name, 0).allowed).toBe(true);
    expect(map.size).toBe(3);
    map.take('c', 1000);
    expect(map.size).toBe(3);
    // The once-a-minute sweep.
    map.take('d', 60_000);
    expect(map.size).toBe(1);

    expect(map.reserve('e', 60_000).allowed).toBe(true);
    expect(map.size).toBe(2);
    expect(map.pending('e')).toBeDefined();
    map.release('e', 60_000, { keep: false });
    expect(map.pending('e')).toBeUndefined();
    expect(map.size).toBe(1);
  });

  it('forget first the buckets untouched for longest, past the cap', () => {
    const map = new BucketMap({ capacity: 2, perMinute: 1 }, 4);
    for (const name of ['a', 'a', 'b', 'b', 'c']) map.take(name, 0);
    expect(map.take('a', 0).allowed).toBe(false);
    map.take('d', 0);
    expect(map.size).toBeLessThanOrEqual(4);
    // b was untouched longest and is forgotten, its bucket full again; a was touched and is not.
    expect(map.take('b', 0).allowed).toBe(true);
    expect(map.take('a', 0).allowed).toBe(false);
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002::ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
  ])('count %s under %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});

/** The test server's app on a real loopback socket, so the source address comes from the connection. */
function listenOnLoopback(): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: kp.keyplane.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
  });
}
