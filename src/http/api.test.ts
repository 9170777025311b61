import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../test/support/harness.js';
import { Ajv } from '../../test/support/openapi.js';
import { errorCatalogue } from '../domain/errors.js';
import { errorStatus } from './error-status.js';

let kp: TestKeyplane;
beforeAll(async () => {
  kp = await startTestKeyplane();
});
afterAll(() => kp.close());

describe('the server OpenAPI document', () => {
  it('documents every route the server answers, and nothing else', async () => {
    const doc = (await kp.call('GET', '/openapi.json', { auth: false })).body;
    expect(doc.openapi).toBe('3.0.3');
    const documented = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(methods)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const served = new Set(
      kp.keyplane.app.routes
        .filter((r) => r.method !== 'ALL' && r.path !== '/openapi.json')
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    );
    expect([...served].sort()).toEqual([...documented].sort());
    expect(served.size).toBeGreaterThan(20);
    // Management calls take a Cloud API key or a console session; sign-in itself takes neither.
    expect(doc.security).toEqual([{ basic: [] }, { session: [] }]);
    expect(doc.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'keyplane_session' });
    expect(doc.paths['/console/v1/sign-in'].post.security).toEqual([]);
  });

  it('gives request bodies schemas that compile', async () => {
    const doc = (await kp.call('GET', '/openapi.json', { auth: false })).body;
    const ajv = new Ajv({ strict: false });
    let bodies = 0;
    for (const methods of Object.values(doc.paths as Record<string, Record<string, any>>)) {
      for (const op of Object.values(methods)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (!schema) continue;
        bodies++;
        expect(() => ajv.compile(schema)).not.toThrow();
      }
    }
    expect(bodies).toBeGreaterThan(5);
  });
});

describe('the error catalogue', () => {
  it('maps every code to a status and documents every code in the README', () => {
    expect(Object.keys(errorStatus).sort()).toEqual(Object.keys(errorCatalogue).sort());
    const readme = readFileSync(resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    for (const [code, status] of Object.entries(errorStatus)) {
      expect(readme, `README documents ${code}`).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
    }
  });
});

describe('cross-cutting HTTP behaviour', () => {
  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const mine = await kp.call('GET', '/healthz', { auth: false, headers: { 'x-request-id': 'trace-123' } });
    expect(mine.headers.get('x-request-id')).toBe('trace-123');
    const unsafe = await kp.call('GET', '/healthz', { auth: false, headers: { 'x-request-id': 'a b<script>' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with a Failure', async () => {
    const res = await kp.call('GET', '/iam/v9/nothing');
    expect(res.status).toBe(404);
    expect(res.body.errors[0].code).toBe('route_not_found');
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const res = await kp.call('PUT', '/iam/v2/api-keys/ABC', { skipSpec: true });
    expect(res.status).toBe(405);
    expect(res.body.errors[0].code).toBe('method_not_allowed');
    expect(res.headers.get('allow')).toBe('GET, PATCH, DELETE');
  });

  it('refuses an oversized body with 413 and writes nothing', async () => {
    const before = (await kp.call('GET', '/iam/v2/api-keys')).body.metadata.total_size;
    const res = await kp.call('POST', '/iam/v2/api-keys', {
      body: { spec: { owner: { id: kp.admin.userId }, description: 'x'.repeat(70_000) } },
      skipSpec: true,
    });
    expect(res.status).toBe(413);
    expect(res.body.errors[0].code).toBe('payload_too_large');
    expect((await kp.call('GET', '/iam/v2/api-keys')).body.metadata.total_size).toBe(before);
  });

  it('refuses a non-JSON content type with 415', async () => {
    const res = await kp.call('POST', '/iam/v2/api-keys', {
      raw: 'spec=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      skipSpec: true,
    });
    expect(res.status).toBe(415);
    expect(res.body.errors[0].code).toBe('unsupported_media_type');
  });
});
