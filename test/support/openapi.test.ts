import { describe, expect, it } from 'vitest';
import { checkAgainstSpec, findSpecOperation, specDir, specsAvailable } from './openapi.js';

// The schema check in the test harness must be able to fail, or it proves nothing.
if (!specsAvailable) console.warn(`SKIPPED Confluent OpenAPI check tests: no specs at ${specDir}`);

describe.skipIf(!specsAvailable)('Confluent OpenAPI check', () => {
  it('finds the operation for a concrete path', () => {
    expect(findSpecOperation('get', '/iam/v2/api-keys/ABC?x=1')?.template).toBe('/iam/v2/api-keys/{id}');
    expect(findSpecOperation('get', '/cmk/v2/clusters')).toBeUndefined();
  });

  it('refuses a body of the wrong shape and an undocumented status', () => {
    const wrongKind = checkAgainstSpec('GET', '/iam/v2/api-keys/ABC', 200, { kind: 'NotAKey', id: 5 });
    expect(wrongKind.covered).toBe(true);
    expect(wrongKind.errors.length).toBeGreaterThan(0);
    const badRef = checkAgainstSpec('GET', '/iam/v2/api-keys/ABC', 200, {
      api_version: 'iam/v2',
      kind: 'ApiKey',
      id: 'ABC',
      metadata: { self: 'http://x/iam/v2/api-keys/ABC' },
      spec: { owner: { id: 'u-1' } },
    });
    expect(badRef.errors.join('\n')).toMatch(/related|resource_name/);
    expect(checkAgainstSpec('GET', '/iam/v2/api-keys/ABC', 418, {}).errors).toHaveLength(1);
  });

  it('accepts a Failure body for a documented error status', () => {
    const failure = { errors: [{ id: 'r', status: '404', code: 'api_key_not_found', title: 'T', detail: 'D' }] };
    expect(checkAgainstSpec('GET', '/iam/v2/api-keys/ABC', 404, failure).errors).toEqual([]);
    expect(checkAgainstSpec('GET', '/iam/v2/api-keys/ABC', 404, { errors: 'no' }).errors.length).toBeGreaterThan(0);
  });
});

describe('secret-in-log guard', () => {
  it('finds a secret that a log line contains, and only that one', async () => {
    const { findLeakedSecrets } = await import('./harness.js');
    const leaked = 'cfltAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const kept = 'cfltBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
    const logs = ['{"msg":"request"}\n', `{"msg":"oops","value":"${leaked}"}\n`];
    expect(findLeakedSecrets(logs, [leaked, kept])).toEqual(['cfltAAAA…']);
  });
});
