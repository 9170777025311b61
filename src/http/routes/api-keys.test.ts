import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestKeyplane, startTestKeyplane } from '../../../test/support/harness.js';

let kp: TestKeyplane;
beforeAll(async () => {
  kp = await startTestKeyplane();
});
afterAll(() => kp.close());

describe('API keys', () => {
  it('lists the bootstrap admin key', async () => {
    const res = await kp.call('GET', '/iam/v2/api-keys');
    expect(res.status).toBe(200);
    expect(res.body.data.map((k: { id: string }) => k.id)).toContain(kp.admin.key);
  });

  it('creates a Cloud key for the admin user', async () => {
    const res = await kp.call('POST', '/iam/v2/api-keys', { body: { spec: { owner: { id: kp.admin.userId } } } });
    expect(res.status).toBe(202);
    expect(res.body.spec.secret).toMatch(/^cflt/);
  });
});
