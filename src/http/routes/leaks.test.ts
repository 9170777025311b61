import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { capturedLogs, issuedSecrets, startTestKeyplane, type TestKeyplane } from '../../../test/support/harness.js';
import { addPrincipal, crns } from '../../../test/support/principals.js';
import type { AuditCloudEvent } from '../../audit/cloud-event.js';
import { newSecret, SECRET_ALPHABET } from '../../domain/secret.js';
import { findSecrets } from '../../scanner/find-secrets.js';
import { REPORT_EVENT_WINDOW_MS, reportLeaks, withoutSecrets } from '../../services/leaks.js';

let kp: TestKeyplane;
let orgId: string;
let serviceAccount: string;
beforeAll(async () => {
  kp = await startTestKeyplane({ KEYPLANE_LEAK_REPORTS_PER_MINUTE: '1000000' });
  orgId = kp.keyplane.services.orgId;
  const sa = await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'leaky-app' } });
  expect(sa.status, sa.text).toBe(201);
  serviceAccount = sa.body.id;
});
afterAll(() => kp.close());

interface Key {
  id: string;
  secret: string;
}

async function createKey(owner = serviceAccount): Promise<Key> {
  const res = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: owner } } } });
  expect(res.status, res.text).toBe(202);
  return { id: res.body.id, secret: res.body.spec.secret };
}

/** A well-formed secret no key has; remembered so that the log and audit checks look for it too. */
function unissuedSecret(): string {
  const secret = newSecret(randomBytes);
  issuedSecrets.add(secret);
  return secret;
}

/** An unissued checksummed secret holding both `+` and `/`, the characters escapes can hide. */
function escapableSecret(): string {
  const secret = unissuedSecret();
  return secret.includes('+') && secret.includes('/') ? secret : escapableSecret();
}

const urlEscaped = (secret: string) => secret.replaceAll('+', '%2B').replaceAll('/', '%2f');
const jsonEscaped = (secret: string) => secret.replaceAll('/', '\\/');

/** A legacy-shaped secret: 64 characters of the alphabet without the prefix. */
function randomLegacySecret(): string {
  const secret = [...randomBytes(64)].map((b) => SECRET_ALPHABET[b & 63]).join('');
  issuedSecrets.add(secret);
  return secret.startsWith('cflt') ? randomLegacySecret() : secret;
}

const report = (body: unknown) => kp.call('POST', '/v1/leaks', { auth: false, body });
const check = (body: unknown, auth?: { key: string; secret: string }) => kp.call('POST', '/v1/leaks/check', { body, ...(auth ? { auth } : {}) });

/** Whether the key authenticates on a management call. */
async function authenticates(key: Key): Promise<boolean> {
  const res = await kp.call('GET', '/org/v2/environments', { auth: { key: key.id, secret: key.secret } });
  expect([200, 401], res.text).toContain(res.status);
  return res.status === 200;
}

async function eventsFor(method: string): Promise<AuditCloudEvent[]> {
  await kp.keyplane.audit.flush();
  const page = await kp.keyplane.services.store.list('auditEvents', { method }, { limit: 1000, total: false });
  return page.items.map((row) => JSON.parse(row.data) as AuditCloudEvent);
}

async function setPolicy(policy: 'revoke' | 'notify'): Promise<void> {
  const res = await kp.call('PATCH', `/org/v2/organizations/${orgId}`, { body: { keyplane_leak_policy: policy } });
  expect(res.status, res.text).toBe(200);
  expect(res.body.keyplane_leak_policy).toBe(policy);
}

describe('POST /v1/leaks', () => {
  it('revokes a live key under the default policy: it stops working at once and is gone', async () => {
    const key = await createKey();
    expect(await authenticates(key)).toBe(true);
    const res = await report([{ secret: key.secret, url: 'https://git.example.com/acme/app/blob/main/.env#L3', source: 'acme-scanner' }]);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual([{ index: 0, status: 'revoked' }]);
    expect(res.text).not.toContain(key.id);
    expect(await authenticates(key)).toBe(false);
    const got = await kp.call('GET', `/iam/v2/api-keys/${key.id}`);
    expect(got.status).toBe(404);
  });

  it('records a revocation in the audit log with who owned the key, what was done and where it leaked, never the secret', async () => {
    const key = await createKey();
    const escaped = encodeURIComponent(key.secret);
    const res = await report([
      { secret: key.secret, url: `https://paste.example.com/raw/1?k=${escaped}&s=${key.secret}`, source: `found: ${key.secret}` },
    ]);
    expect(res.body).toEqual([{ index: 0, status: 'revoked' }]);
    const events = (await eventsFor('ReportLeakedAPIKey')).filter((e) => e.data.resourceName === crns(kp).apiKey(key.id));
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      type: 'io.confluent.cloud/request',
      subject: crns(kp).apiKey(key.id),
      data: {
        methodName: 'ReportLeakedAPIKey',
        resourceName: crns(kp).apiKey(key.id),
        authenticationInfo: { metadata: { mechanism: 'NONE' } },
        requestMetadata: { clientAddress: 'unknown', requestId: res.headers.get('x-request-id') },
        request: {
          method: 'POST',
          path: '/v1/leaks',
          leak: {
            keyId: key.id,
            owner: `User:${serviceAccount}`,
            policy: 'revoke',
            action: 'revoked',
            source: 'found: [redacted]',
            url: 'https://paste.example.com/raw/1?k=[redacted]&s=[redacted]',
          },
        },
        result: { status: 'SUCCESS', httpStatus: 200 },
      },
    });
    expect(event!.data.authenticationInfo.principal).toBeUndefined();
    expect(JSON.stringify(event)).not.toContain(key.secret);
    expect(JSON.stringify(event)).not.toContain(escaped);
  });

  it('leaves a live key working under the notify policy, and records the report', async () => {
    await setPolicy('notify');
    try {
      const key = await createKey();
      const res = await report([{ secret: key.secret, source: 'ci' }]);
      expect(res.body).toEqual([{ index: 0, status: 'reported' }]);
      expect(res.text).not.toContain(key.id);
      expect(await authenticates(key)).toBe(true);
      expect((await kp.call('GET', `/iam/v2/api-keys/${key.id}`)).status).toBe(200);
      const events = (await eventsFor('ReportLeakedAPIKey')).filter((e) => e.data.resourceName === crns(kp).apiKey(key.id));
      expect(events.map((e) => e.data.request?.leak)).toEqual([
        { keyId: key.id, owner: `User:${serviceAccount}`, policy: 'notify', action: 'reported', source: 'ci' },
      ]);
    } finally {
      await setPolicy('revoke');
    }
  });

  it('records a key reported under the notify policy once per window, however often and from whichever node it is reported', async () => {
    await setPolicy('notify');
    const { services } = kp.keyplane;
    try {
      const key = await createKey();
      const eventsOfKey = async () => (await eventsFor('ReportLeakedAPIKey')).filter((e) => e.data.resourceName === crns(kp).apiKey(key.id));
      const hashes = vi.spyOn(services.hasher, 'hashesUnderEveryPepper');
      const transactions = vi.spyOn(services.store, 'transaction');
      let first: Awaited<ReturnType<typeof report>>;
      try {
        first = await report(Array.from({ length: 100 }, () => ({ secret: key.secret, source: 'flood' })));
        // Copies are one secret: hashed once, and one transaction for the request.
        expect(hashes).toHaveBeenCalledTimes(1);
        expect(transactions).toHaveBeenCalledTimes(1);
      } finally {
        vi.restoreAllMocks();
      }
      expect(first.body).toEqual(Array.from({ length: 100 }, (_, index) => ({ index, status: 'reported' })));
      expect(await eventsOfKey()).toHaveLength(1);

      for (let i = 0; i < 3; i++) expect((await report([{ secret: key.secret }])).body).toEqual([{ index: 0, status: 'reported' }]);
      expect(await eventsOfKey()).toHaveLength(1);

      // Another node: its own audit chain, the same database.
      const otherNode = { ...services, audit: { ...services.audit!, chainId: randomUUID(), listeners: [] } };
      const answers = await reportLeaks(otherNode, [{ secret: key.secret }], { requestId: 'other-node', clientAddress: '192.0.2.9' });
      expect(answers).toEqual([{ index: 0, status: 'reported' }]);
      expect(await eventsOfKey()).toHaveLength(1);
      expect(await authenticates(key)).toBe(true);

      // Once the window has passed, the next report is recorded again.
      const later = new Date(Date.now() + REPORT_EVENT_WINDOW_MS + 60_000);
      vi.spyOn(services, 'now').mockReturnValue(later);
      try {
        expect((await report([{ secret: key.secret, source: 'later' }])).body).toEqual([{ index: 0, status: 'reported' }]);
        expect((await report([{ secret: key.secret }])).body).toEqual([{ index: 0, status: 'reported' }]);
      } finally {
        vi.restoreAllMocks();
      }
      expect((await eventsOfKey()).map((e) => e.data.request?.leak)).toEqual([expect.objectContaining({ source: 'flood' }), expect.objectContaining({ source: 'later' })]);
    } finally {
      await setPolicy('revoke');
    }
  });

  it('answers not_live, in one shape, for unknown, deleted and random secrets, and records nothing for them', async () => {
    const deleted = await createKey();
    expect((await kp.call('DELETE', `/iam/v2/api-keys/${deleted.id}`)).status).toBe(204);
    const before = (await eventsFor('ReportLeakedAPIKey')).length;
    const res = await report([{ secret: unissuedSecret() }, { secret: deleted.secret }, { secret: randomLegacySecret() }, { secret: unissuedSecret() }]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([0, 1, 2, 3].map((index) => ({ index, status: 'not_live' })));
    expect(await eventsFor('ReportLeakedAPIKey')).toHaveLength(before);
  });

  it('does the same hashing work for a secret that opens a key as for one that does not', async () => {
    const deleted = await createKey();
    expect((await kp.call('DELETE', `/iam/v2/api-keys/${deleted.id}`)).status).toBe(204);
    const live = await createKey();
    await setPolicy('notify');
    const { hasher } = kp.keyplane.services;
    const hashes = vi.spyOn(hasher, 'hashesUnderEveryPepper');
    const comparisons = vi.spyOn(hasher, 'verify');
    const decoys = vi.spyOn(hasher, 'verifyNothing');
    try {
      const res = await report([{ secret: unissuedSecret() }, { secret: deleted.secret }, { secret: randomLegacySecret() }, { secret: live.secret }, { secret: 'x' }]);
      expect(res.body.map((a: { status: string }) => a.status)).toEqual(['not_live', 'not_live', 'not_live', 'reported', 'malformed']);
      // Each well-formed secret: its hashes to look it up, then one constant-time comparison, real or a decoy.
      expect(hashes).toHaveBeenCalledTimes(4);
      expect(comparisons).toHaveBeenCalledTimes(1);
      expect(decoys).toHaveBeenCalledTimes(3);
    } finally {
      vi.restoreAllMocks();
      await setPolicy('revoke');
    }
  });

  it('answers malformed for what is not a secret, and deals with each item on its own', async () => {
    const key = await createKey();
    const wrongChecksum = `${key.secret.slice(0, -1)}${key.secret.endsWith('A') ? 'B' : 'A'}`;
    const res = await report([
      { secret: 'hunter2' },
      { secret: '' },
      { secret: wrongChecksum },
      { secret: `${key.secret}x` },
      { secret: key.secret },
      { secret: unissuedSecret() },
    ]);
    expect(res.body).toEqual([
      { index: 0, status: 'malformed' },
      { index: 1, status: 'malformed' },
      { index: 2, status: 'malformed' },
      { index: 3, status: 'malformed' },
      { index: 4, status: 'revoked' },
      { index: 5, status: 'not_live' },
    ]);
  });

  it("answers every copy of a repeated secret with the first copy's answer, and records the key once", async () => {
    const key = await createKey();
    const res = await report([{ secret: key.secret, source: 'first' }, { secret: 'x' }, { secret: key.secret, source: 'second' }]);
    expect(res.body).toEqual([
      { index: 0, status: 'revoked' },
      { index: 1, status: 'malformed' },
      { index: 2, status: 'revoked' },
    ]);
    const events = (await eventsFor('ReportLeakedAPIKey')).filter((e) => e.data.resourceName === crns(kp).apiKey(key.id));
    expect(events.map((e) => e.data.request?.leak)).toEqual([expect.objectContaining({ action: 'revoked', source: 'first' })]);
  });

  it('revokes every live key of a request, with its events, in one transaction', async () => {
    const keys = [await createKey(), await createKey(), await createKey()];
    await kp.keyplane.audit.flush();
    const transactions = vi.spyOn(kp.keyplane.services.store, 'transaction');
    let res: Awaited<ReturnType<typeof report>>;
    try {
      res = await report([...keys, keys[0]!].map((k) => ({ secret: k.secret })));
      expect(transactions).toHaveBeenCalledTimes(1);
    } finally {
      vi.restoreAllMocks();
    }
    expect(res.body.map((a: { status: string }) => a.status)).toEqual(['revoked', 'revoked', 'revoked', 'revoked']);
    const events = await eventsFor('ReportLeakedAPIKey');
    for (const key of keys) {
      expect(events.filter((e) => e.data.resourceName === crns(kp).apiKey(key.id))).toHaveLength(1);
      expect(await authenticates(key)).toBe(false);
    }
  });

  it('keeps no secret in any encoding the scanner knows in what a report records', async () => {
    const key = await createKey();
    const other = escapableSecret();
    const third = escapableSecret();
    const url = `https://x.example/?a=${urlEscaped(other)}&b=${jsonEscaped(other)}&self=${btoa(key.secret)}&c=${other}`;
    const source = `blob ${btoa(`token=${third}`)} end`;
    const res = await report([{ secret: key.secret, url, source }]);
    expect(res.body).toEqual([{ index: 0, status: 'revoked' }]);
    const [event] = (await eventsFor('ReportLeakedAPIKey')).filter((e) => e.data.resourceName === crns(kp).apiKey(key.id));
    expect(event!.data.request?.leak).toMatchObject({
      url: 'https://x.example/?a=[redacted]&b=[redacted]&self=[redacted]&c=[redacted]',
      source: 'blob [redacted] end',
    });
    const stored = JSON.stringify(event);
    expect(findSecrets(stored, { legacy: true })).toEqual([]);
    for (const secret of [key.secret, other, third]) {
      for (const written of [secret, urlEscaped(secret), encodeURIComponent(secret), jsonEscaped(secret)]) expect(stored).not.toContain(written);
    }
  });

  it('redacts every secret the scanner finds, however it is written, and keeps the text around it', () => {
    const reported = escapableSecret();
    const legacy = randomLegacySecret();
    for (let round = 0; round < 20; round++) {
      const other = escapableSecret();
      const cases: Array<[string, string]> = [
        [`p=${other}!`, 'p=[redacted]!'],
        [`p=${urlEscaped(other)}!`, 'p=[redacted]!'],
        [`p=${jsonEscaped(other)}!`, 'p=[redacted]!'],
        [`p=${btoa(`x${other}`)}!`, 'p=[redacted]!'],
        [`p=${btoa(`s=${urlEscaped(other)}`)}!`, 'p=[redacted]!'],
        [`p=cflt${other}cflt!`, 'p=cflt[redacted]cflt!'],
        [`p=${reported}&q=${btoa(`ab${reported}`)}&r=${urlEscaped(reported)}!`, 'p=[redacted]&q=[redacted]&r=[redacted]!'],
        [`l=${btoa(legacy)}!`, 'l=[redacted]!'],
      ];
      for (const [text, kept] of cases) {
        const secret = text.startsWith('l=') ? legacy : reported;
        const result = withoutSecrets(text, secret);
        expect(result, text).toBe(kept);
        expect(findSecrets(result, { legacy: true }), text).toEqual([]);
      }
    }
  });

  it('refuses a bad body naming the item and field, and does nothing for any item', async () => {
    const key = await createKey();
    const cases: Array<[unknown, string, RegExp]> = [
      [[{ secret: key.secret }, { secret: 5 }], '/1/secret', /^\[1\]\.secret: /],
      [[{ secret: key.secret }, { url: 'https://x.example' }], '/1/secret', /^\[1\]\.secret: /],
      [[{ secret: key.secret, url: `https://x.example/${'a'.repeat(2048)}` }], '/0/url', /^\[0\]\.url must be at most 2048 characters/],
      [[{ secret: key.secret }, { secret: key.secret, source: 's'.repeat(201) }], '/1/source', /^\[1\]\.source must be at most 200 characters/],
      [[{ secret: key.secret, source: 'bell\u0007' }], '/0/source', /^\[0\]\.source must not contain control characters/],
      [[{ secret: key.secret, url: 'line\nbreak' }], '/0/url', /^\[0\]\.url must not contain control characters/],
      [[{ secret: key.secret }, 'not an object'], '/1', /^\[1\]: /],
      [[], '', /^body: must hold at least one secret/],
      [Array.from({ length: 101 }, () => ({ secret: key.secret })), '', /^body: must hold at most 100 secrets/],
      [{ leaks: [{ secret: key.secret }] }, '', /JSON array/],
      [{ secret: key.secret }, '', /JSON array/],
    ];
    for (const [body, pointer, detail] of cases) {
      const res = await report(body);
      const context = `${JSON.stringify(body).slice(0, 80)} → ${res.text}`;
      expect(res.status, context).toBe(400);
      expect(res.body.errors[0], context).toMatchObject({ code: 'bad_request', source: { pointer } });
      expect(res.body.errors[0].detail, context).toMatch(detail);
      expect(res.text, context).not.toContain(key.secret);
    }
    const malformed = await kp.call('POST', '/v1/leaks', { auth: false, raw: `[{"secret": "${key.secret}"` });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].code).toBe('invalid_json');
    const text = await kp.call('POST', '/v1/leaks', { auth: false, raw: key.secret, headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(await authenticates(key)).toBe(true);
  });

  it('logs a count of each answer, and never a secret', async () => {
    const key = await createKey();
    const res = await report([{ secret: key.secret }, { secret: unissuedSecret() }, { secret: 'x' }]);
    const requestId = res.headers.get('x-request-id');
    const line = capturedLogs.map((l) => JSON.parse(l)).find((l) => l.msg === 'leak report' && l.request_id === requestId);
    expect(line).toMatchObject({ level: 'info', malformed: 1, not_live: 1, revoked: 1, reported: 0 });
  });

  it('is listed in /openapi.json without credentials', async () => {
    const document = (await kp.call('GET', '/openapi.json', { auth: false, skipSpec: true })).body;
    expect(document.paths['/v1/leaks'].post.security).toEqual([]);
    expect(document.paths['/v1/leaks'].post.requestBody.content['application/json'].schema).toMatchObject({ type: 'array', minItems: 1, maxItems: 100 });
    expect(document.paths['/v1/leaks/check'].post.security).toBeUndefined();
  });
});

describe('POST /v1/leaks rate limit', () => {
  it('allows a few reports per address a minute, then answers 429 with Retry-After', async () => {
    const limited = await startTestKeyplane({ KEYPLANE_LEAK_REPORTS_PER_MINUTE: '2' });
    try {
      const send = () => limited.call('POST', '/v1/leaks', { auth: false, body: [{ secret: 'not-a-secret' }] });
      for (let i = 0; i < 2; i++) {
        const res = await send();
        expect(res.status).toBe(200);
        expect(res.headers.get('x-ratelimit-limit')).toBe('2');
      }
      const refused = await send();
      expect(refused.status).toBe(429);
      expect(refused.body.errors[0]).toMatchObject({ status: '429', code: 'too_many_requests' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Management calls keep their own, larger budget.
      expect((await limited.call('GET', '/org/v2/environments')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('POST /v1/leaks/check', () => {
  it('names a live key to a caller who may see it, and changes nothing', async () => {
    const key = await createKey();
    const authentications = vi.spyOn(kp.keyplane.services.authentications, 'authenticated');
    let res: Awaited<ReturnType<typeof check>>;
    try {
      res = await check([{ secret: key.secret, url: 'https://x.example' }, { secret: unissuedSecret() }, { secret: 'nope' }]);
      expect(authentications.mock.calls.map(([event]) => event.keyId)).not.toContain(key.id);
    } finally {
      vi.restoreAllMocks();
    }
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual([
      { index: 0, status: 'live', key: { id: key.id, owner: { id: serviceAccount, kind: 'ServiceAccount' }, scope: { kind: 'Cloud', id: 'cloud' } } },
      { index: 1, status: 'not_live' },
      { index: 2, status: 'malformed' },
    ]);
    await kp.keyplane.audit.flush();
    const got = await kp.call('GET', `/iam/v2/api-keys/${key.id}`);
    expect(got.status).toBe(200);
    expect(got.body.spec.last_used_at).toBeNull();
    const stored = await kp.keyplane.services.store.get('apiKeys', key.id);
    expect(stored?.lastUsedAt).toBeNull();
    expect(await kp.keyplane.services.store.count('auditEvents', { keyId: key.id })).toBe(0);
    expect(await authenticates(key)).toBe(true);
  });

  it('names a scoped key with its environment', async () => {
    const env = await kp.call('POST', '/org/v2/environments', { body: { display_name: 'leaks-env' } });
    const cluster = await kp.call('POST', '/cmk/v2/clusters', {
      body: { spec: { display_name: 'leaks', cloud: 'aws', region: 'us-east-1', availability: 'SINGLE_ZONE', config: { kind: 'Basic' }, environment: { id: env.body.id } } },
    });
    expect(cluster.status, cluster.text).toBe(202);
    const created = await kp.call('POST', '/iam/v2/api-keys', {
      body: { spec: { owner: { id: serviceAccount }, resource: { id: cluster.body.id, environment: env.body.id } } },
    });
    const res = await check([{ secret: created.body.spec.secret }]);
    expect(res.body[0].key).toEqual({
      id: created.body.id,
      owner: { id: serviceAccount, kind: 'ServiceAccount' },
      scope: { kind: 'Cluster', id: cluster.body.id, environment: env.body.id },
    });
  });

  it('answers live without the key to a caller who may not see it', async () => {
    const key = await createKey();
    const stranger = await addPrincipal(kp, 'user');
    const res = await check([{ secret: key.secret }], stranger.auth);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual([{ index: 0, status: 'live' }]);
    expect(res.text).not.toContain(key.id);
    // The stranger's own key is theirs to see.
    const own = await check([{ secret: stranger.secret }], stranger.auth);
    expect(own.body[0].key.id).toBe(stranger.key);
  });

  it('is audited as CheckLeakedAPIKeys without the request body', async () => {
    const key = await createKey();
    const res = await check([{ secret: key.secret, url: `https://x.example/?secret=${key.secret}`, source: key.secret }]);
    expect(res.status).toBe(200);
    const events = (await eventsFor('CheckLeakedAPIKeys')).filter((e) => e.data.requestMetadata.requestId === res.headers.get('x-request-id'));
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({
      authenticationInfo: { principal: `User:${kp.admin.userId}` },
      request: { method: 'POST', path: '/v1/leaks/check' },
      result: { status: 'SUCCESS', httpStatus: 200 },
    });
    expect(events[0]!.data.request).not.toHaveProperty('body');
    expect(JSON.stringify(events[0])).not.toContain(key.secret);
  });

  it('refuses a bad body as a report does', async () => {
    const res = await check([{ secret: 'x' }, { secret: null }]);
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ code: 'bad_request', source: { pointer: '/1/secret' } });
  });

  it('needs valid credentials', async () => {
    const key = await createKey();
    const none = await kp.call('POST', '/v1/leaks/check', { auth: false, body: [{ secret: key.secret }] });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await kp.call('POST', '/v1/leaks/check', { auth: { key: key.id, secret: unissuedSecret() }, body: [{ secret: key.secret }] });
    expect(wrong.status).toBe(401);
    expect(await authenticates(key)).toBe(true);
  });
});
