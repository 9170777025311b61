import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../test/support/harness.js';
import { COPIED_TABLES } from '../services/database-copy.js';

// Every documented write operation, fed input a careless or hostile client might send: each
// answer is a 4xx Failure and no table changes.
let kp: TestKeyplane;
let operations: Array<{ method: string; path: string }>;

// Every table a database copy moves: all of Keyplane's data, quota counters included.
// The audit log records the refused calls, as it should; everything else must stay as it was.
const tables = COPIED_TABLES.filter((t) => t !== 'auditEvents' && t !== 'auditChains');

async function snapshot() {
  const store = kp.keyplane.services.store;
  const rows: Record<string, unknown> = {};
  for (const table of tables) rows[table] = (await store.list(table, {}, { limit: 1000 })).items;
  return rows;
}

let deep: unknown = 'x';
for (let i = 0; i < 2000; i++) deep = { spec: deep };

const hostileBodies: Array<[string, string]> = [
  ['null', 'null'],
  ['an array', '[]'],
  ['a string', '"spec"'],
  ['a number', '1e999'],
  ['truncated JSON', '{"spec": {"owner": '],
  ['spec as a string', '{"spec": "x", "display_name": 7}'],
  ['wrong types everywhere', '{"display_name": [], "description": {}, "email": 5, "spec": {"display_name": false, "owner": []}}'],
  ['prototype pollution', '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}, "spec": {"__proto__": null}}'],
  ['deep nesting', JSON.stringify(deep)],
  ['NUL and bidi controls', '{"display_name": "a\\u0000b\\u202e", "email": "x\\u0000@y.z", "spec": {"display_name": "\\u0000"}}'],
  ['a lone surrogate', '{"display_name": "\\ud800", "spec": {"display_name": "\\udfff"}}'],
];

const hostileIds = ['%00', '..%2F..%2Fetc%2Fpasswd', `${'a'.repeat(5000)}`, "x'%20OR%201=1--", '%F0%9F%92%A9', '%E0%A4%A'];

beforeAll(async () => {
  kp = await startTestKeyplane();
  const doc = (await kp.call('GET', '/openapi.json', { auth: false })).body;
  operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
  );
});
afterAll(() => kp.close());

describe('hostile input', () => {
  it('answers hostile bodies on every POST and PATCH with a 4xx Failure and changes nothing', async () => {
    const before = await snapshot();
    const writes = operations.filter((o) => o.method === 'POST' || o.method === 'PATCH');
    expect(writes.length).toBeGreaterThan(10);
    for (const op of writes) {
      const path = op.path.replace(/\{\w+\}/g, 'unknown-id');
      for (const [name, raw] of hostileBodies) {
        const res = await kp.call(op.method, path, { raw, skipSpec: true });
        expect(res.status, `${op.method} ${path} with ${name}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${op.method} ${path} with ${name}`).toBeLessThan(500);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('answers hostile ids on every operation with a path parameter with a 4xx Failure and changes nothing', async () => {
    const before = await snapshot();
    const withId = operations.filter((o) => o.path.includes('{'));
    expect(withId.length).toBeGreaterThan(10);
    for (const op of withId) {
      for (const id of hostileIds) {
        const path = op.path.replace(/\{\w+\}/g, id);
        const body = op.method === 'PATCH' ? { display_name: 'x', spec: { display_name: 'x' } } : undefined;
        const res = await kp.call(op.method, path, { body, skipSpec: true });
        expect(res.status, `${op.method} ${path.slice(0, 80)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${op.method} ${path.slice(0, 80)}`).toBeLessThan(500);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('answers hostile query strings on every list with a 4xx or a page, never a 500', async () => {
    const lists = operations.filter((o) => o.method === 'GET' && !o.path.includes('{'));
    for (const op of lists) {
      for (const query of ['page_size=1e9', 'page_size=%00', 'page_token=%FF%FE', `page_token=${'A'.repeat(4000)}`, 'spec.owner=%00&environment=%27']) {
        const res = await kp.call('GET', `${op.path}?${query}`, { skipSpec: true });
        expect(res.status, `GET ${op.path}?${query.slice(0, 40)}`).toBeLessThan(500);
      }
    }
  });
});
