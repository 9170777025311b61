import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../test/support/harness.js';
import { CONSOLE_CSP } from './console-assets.js';

const INDEX = '<!doctype html><title>Keyplane console</title><div id="root"></div>';
const SCRIPT = 'console.log("app");';

const dir = mkdtempSync(join(tmpdir(), 'keyplane-console-'));
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), INDEX);
writeFileSync(join(dir, 'assets', 'app-3f2a1b.js'), SCRIPT);
writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');

const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

function expectConsoleHeaders(headers: Headers): void {
  expect(headers.get('content-security-policy')).toBe(CONSOLE_CSP);
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
}

describe('the built console', () => {
  let kp: TestKeyplane;
  beforeAll(async () => {
    kp = await startTestKeyplane({ KEYPLANE_CONSOLE_DIR: dir });
  });
  afterAll(async () => {
    await kp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and at the console’s own paths, with the security headers', async () => {
    for (const path of ['/', '/environments/env-abc123/clusters', '/accept-invitation']) {
      const res = await kp.call('GET', path, { auth: false, headers: html, skipSpec: true });
      expect(res.status, path).toBe(200);
      expect(res.text).toBe(INDEX);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expectConsoleHeaders(res.headers);
    }
  });

  it('serves hashed assets with a long cache, and other build files as they are', async () => {
    const script = await kp.call('GET', '/assets/app-3f2a1b.js', { auth: false, skipSpec: true });
    expect(script.status).toBe(200);
    expect(script.text).toBe(SCRIPT);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expectConsoleHeaders(script.headers);
    const icon = await kp.call('GET', '/favicon.svg', { auth: false, skipSpec: true });
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('keeps API paths, missing assets and non-HTML requests JSON 404s', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['/iam/v2/nope', html],
      ['/iam', html],
      ['/v1/nope', html],
      ['/console/v1/nope', html],
      ['/assets/missing.js', html],
      ['/assets/..%2findex.html', html],
      ['/some/page', { accept: 'application/json' }],
    ];
    for (const [path, headers] of cases) {
      const res = await kp.call('GET', path, { auth: false, headers, skipSpec: true });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/json/);
      expect(res.body.errors[0].code, path).toBe('route_not_found');
      expect(res.headers.get('cache-control'), path).toBeNull();
    }
    const openapi = await kp.call('GET', '/openapi.json', { auth: false, headers: html, skipSpec: true });
    expect(openapi.body.openapi).toBe('3.0.3');
    const api = await kp.call('GET', '/iam/v2/service-accounts', { headers: html });
    expect(api.body.kind).toBe('ServiceAccountList');
  });
});

describe('without a built console', () => {
  let kp: TestKeyplane;
  beforeAll(async () => {
    kp = await startTestKeyplane({ KEYPLANE_CONSOLE_DIR: join(dir, 'not-built') });
  });
  afterAll(() => kp.close());

  it('answers / with a page saying how to build it', async () => {
    const res = await kp.call('GET', '/', { auth: false, headers: html, skipSpec: true });
    expect(res.status).toBe(200);
    expect(res.text).toContain('npm run build');
    expectConsoleHeaders(res.headers);
    const api = await kp.call('GET', '/iam/v2/nope', { auth: false, headers: html, skipSpec: true });
    expect(api.status).toBe(404);
    expect(api.body.errors[0].code).toBe('route_not_found');
  });
});
