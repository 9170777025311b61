import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditCloudEvent } from '../src/audit/cloud-event.js';
import { basic, issuedSecrets, startTestKeyplane, type TestKeyplane } from './support/harness.js';

let kp: TestKeyplane;
beforeAll(async () => {
  kp = await startTestKeyplane();
});
afterAll(() => kp?.close());

/** Every stored event, oldest first, as CloudEvents. */
async function events(): Promise<AuditCloudEvent[]> {
  await kp.keyplane.audit.flush();
  const { store } = kp.keyplane.services;
  const rows = [];
  let after: { createdAt: string; id: string } | undefined;
  for (;;) {
    const page = await store.list('auditEvents', {}, { limit: 500, ...(after ? { after } : {}), total: false });
    rows.push(...page.items);
    if (!page.next) break;
    after = page.next;
  }
  return rows.map((r) => JSON.parse(r.data) as AuditCloudEvent);
}

const byMethod = (all: AuditCloudEvent[], method: string) => all.filter((e) => e.data.methodName === method);

describe('the audit log', () => {
  it('records an API key created, read, listed, updated and deleted, with Confluent\'s method names and CloudEvents fields', async () => {
    const created = await kp.call('POST', '/iam/v2/api-keys', {
      body: { spec: { owner: { id: kp.admin.userId }, description: 'audited' } },
      headers: { 'user-agent': 'audit-test/1.0', 'x-request-id': 'req-audit-1' },
    });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    await kp.call('GET', `/iam/v2/api-keys/${id}`);
    await kp.call('GET', '/iam/v2/api-keys');
    await kp.call('PATCH', `/iam/v2/api-keys/${id}`, { body: { spec: { description: 'changed' } } });
    await kp.call('DELETE', `/iam/v2/api-keys/${id}`);

    const all = await events();
    const [create] = byMethod(all, 'CreateAPIKey');
    expect(create).toMatchObject({
      specversion: '1.0',
      source: kp.keyplane.services.crn.organization(),
      type: 'io.confluent.cloud/request',
      subject: kp.keyplane.services.crn.apiKey(id),
      data: {
        methodName: 'CreateAPIKey',
        resourceName: kp.keyplane.services.crn.apiKey(id),
        authenticationInfo: { principal: `User:${kp.admin.userId}`, metadata: { mechanism: 'HTTP_BASIC', identifier: kp.admin.key } },
        authorizationInfo: { granted: true },
        requestMetadata: { requestId: 'req-audit-1', userAgent: 'audit-test/1.0' },
        request: { method: 'POST', path: '/iam/v2/api-keys', body: { spec: { description: 'audited' } } },
        result: { status: 'SUCCESS', httpStatus: 202 },
      },
    });
    expect(typeof create!.id).toBe('string');
    expect(Date.parse(create!.time)).not.toBeNaN();
    for (const method of ['GetAPIKey', 'GetAPIKeys', 'UpdateAPIKey', 'DeleteAPIKey']) {
      expect(byMethod(all, method).length, method).toBeGreaterThan(0);
    }
    expect(byMethod(all, 'DeleteAPIKey').at(-1)!.data.resourceName).toBe(kp.keyplane.services.crn.apiKey(id));
  });

  it('records refused and failed calls, with the reason, and names the binding that granted a call', async () => {
    const sa = await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'audit-nobody', description: '' } });
    const key = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: sa.body.id } } } });
    const refused = await kp.call('POST', '/iam/v2/service-accounts', {
      body: { display_name: 'not-allowed', description: '' },
      auth: { key: key.body.id, secret: key.body.spec.secret },
    });
    expect(refused.status).toBe(403);
    const invalid = await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 7 } });
    expect(invalid.status).toBe(400);

    const all = await events();
    const creates = byMethod(all, 'CreateServiceAccount');
    const denied = creates.find((e) => e.data.authenticationInfo.principal === `User:${sa.body.id}`)!;
    expect(denied.data.result).toMatchObject({ status: 'FAILURE', httpStatus: 403 });
    expect(denied.data.authorizationInfo).toMatchObject({ granted: false });
    const bad = creates.find((e) => e.data.result.httpStatus === 400)!;
    expect(bad.data.result.errorCode).toBeDefined();
    const granted = creates.find((e) => e.data.result.status === 'SUCCESS')!;
    expect(granted.data.authorizationInfo).toMatchObject({ granted: true, rbacAuthorization: { role: 'OrganizationAdmin' } });
  });

  it('records authentications, right and wrong, from the management API and the data plane, by key id only', async () => {
    const cluster = await kp.call('POST', '/cmk/v2/clusters', {
      body: { spec: { display_name: 'audited', cloud: 'aws', region: 'us-east-1', environment: { id: (await kp.call('GET', '/org/v2/environments')).body.data[0].id } } },
    });
    const key = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: kp.admin.userId }, resource: { id: cluster.body.id } } } });
    const secret = key.body.spec.secret as string;
    const right = await kp.call('POST', '/v1/verify', { body: { key: key.body.id, secret, resource: cluster.body.id }, skipSpec: true });
    expect(right.body.valid).toBe(true);
    const wrongSecret = `${secret.slice(0, -10)}AAAAAAAAAA`;
    await kp.call('POST', '/v1/verify', { body: { key: key.body.id, secret: wrongSecret, resource: cluster.body.id }, skipSpec: true });
    await kp.call('GET', '/iam/v2/api-keys', { auth: basic(kp.admin.key, wrongSecret) });

    const all = await events();
    const kafka = all.filter((e) => e.data.methodName === 'kafka.Authentication' && e.data.authenticationInfo.metadata.identifier === key.body.id);
    expect(kafka.map((e) => e.data.result.status).sort()).toEqual(['FAILURE', 'SUCCESS']);
    expect(kafka.every((e) => e.type === 'io.confluent.kafka.server/authentication')).toBe(true);
    expect(kafka.find((e) => e.data.result.status === 'SUCCESS')!.data.authenticationInfo.principal).toBe(`User:${kp.admin.userId}`);
    const management = all.filter((e) => e.data.methodName === 'cloud.Authentication' && e.data.result.status === 'FAILURE');
    expect(management.some((e) => e.data.authenticationInfo.metadata.identifier === kp.admin.key)).toBe(true);
    const stored = JSON.stringify(all);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(wrongSecret);
  });

  it('writes a change and its event together: when the transaction fails after the event was written, neither stays', async () => {
    const recorder = kp.keyplane.audit;
    const append = recorder.now.bind(recorder);
    // The event is written, then the transaction fails before it commits (a full disk, say).
    const spy = vi.spyOn(recorder, 'now').mockImplementation(async (ctx, drafts) => {
      await append(ctx, drafts);
      throw new Error('disk full');
    });
    let status: number;
    try {
      const res = await kp.keyplane.app.request(`${kp.publicUrl}/iam/v2/service-accounts`, {
        method: 'POST',
        headers: { authorization: basic(kp.admin.key, kp.admin.secret), 'content-type': 'application/json' },
        body: JSON.stringify({ display_name: 'audit-rolled-back', description: '' }),
      });
      status = res.status;
    } finally {
      spy.mockRestore();
    }
    expect(status).toBe(500);
    const accounts = await kp.call('GET', '/iam/v2/service-accounts?display_name=audit-rolled-back');
    expect(accounts.body.data).toEqual([]);
    const recorded = byMethod(await events(), 'CreateServiceAccount').filter((e) => JSON.stringify(e.data.request).includes('audit-rolled-back'));
    // Only the failure, recorded after the rollback; no success.
    expect(recorded.map((e) => e.data.result)).toEqual([{ status: 'FAILURE', httpStatus: 500, errorCode: 'internal_error' }]);

    const sa = await kp.call('POST', '/iam/v2/service-accounts', { body: { display_name: 'audit-commit', description: '' } });
    expect(sa.status).toBe(201);
    const committed = byMethod(await events(), 'CreateServiceAccount').filter((e) => e.data.result.status === 'SUCCESS').at(-1)!;
    expect(committed.data.resourceName).toBe(kp.keyplane.services.crn.serviceAccount(sa.body.id));
  });

  it('keeps no secret in any stored event', async () => {
    const stored = JSON.stringify(await events());
    for (const secret of issuedSecrets) expect(stored.includes(secret), `${secret.slice(0, 8)}…`).toBe(false);
  });
});
