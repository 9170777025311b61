import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestKeyplane, type TestKeyplane } from '../../test/support/harness.js';
import type { Row } from '../storage/store.js';
import { verifyAuditLog } from './audit-verify.js';

let kp: TestKeyplane;
let rows: Row<'auditEvents'>[];

const store = () => kp.keyplane.services.store;
const key = () => kp.keyplane.services.audit!.key;

beforeAll(async () => {
  kp = await startTestKeyplane();
  for (const name of ['one', 'two', 'three']) await kp.call('POST', '/org/v2/environments', { body: { display_name: name } });
  await kp.call('GET', '/org/v2/environments');
  await kp.keyplane.audit.flush();
  rows = (await store().list('auditEvents', {}, { limit: 1000, total: false })).items;
});
afterAll(() => kp?.close());

describe('verifyAuditLog', () => {
  it('passes on a fresh log, counting its events and chains', async () => {
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(await verifyAuditLog(store(), key())).toEqual({ ok: true, events: rows.length, chains: 1 });
  });

  it('fails under another key: the links are keyed, not plain hashes', async () => {
    const result = await verifyAuditLog(store(), Buffer.alloc(32, 7));
    expect(result).toMatchObject({ ok: false, broken: { id: rows[0]!.id, seq: 1 } });
  });

  it("names the event whose stored data was edited, and passes again once it is restored", async () => {
    const target = rows[2]!;
    await store().update('auditEvents', target.id, { data: target.data.replace('"SUCCESS"', '"FAILURE"') });
    const result = await verifyAuditLog(store(), key());
    expect(result).toMatchObject({ ok: false, broken: { id: target.id, chainId: target.chainId, seq: target.seq, problem: expect.stringContaining('changed') } });
    await store().update('auditEvents', target.id, { data: target.data });
    expect((await verifyAuditLog(store(), key())).ok).toBe(true);
  });

  it('names the event after one deleted from the middle', async () => {
    const target = rows[1]!;
    await store().delete('auditEvents', target.id);
    try {
      const result = await verifyAuditLog(store(), key());
      expect(result).toMatchObject({ ok: false, broken: { id: rows[2]!.id, seq: target.seq + 1, problem: expect.stringContaining('missing') } });
    } finally {
      await store().insert('auditEvents', target);
    }
    expect((await verifyAuditLog(store(), key())).ok).toBe(true);
  });

  it("finds events cut off the end by the chain's head, and a head record removed", async () => {
    const last = rows.at(-1)!;
    await store().delete('auditEvents', last.id);
    try {
      const result = await verifyAuditLog(store(), key());
      expect(result).toMatchObject({ ok: false, broken: { chainId: last.chainId, seq: last.seq - 1, id: rows.at(-2)!.id, problem: expect.stringContaining('missing') } });
    } finally {
      await store().insert('auditEvents', last);
    }
    const head = (await store().get('auditChains', last.chainId))!;
    await store().delete('auditChains', head.id);
    try {
      const result = await verifyAuditLog(store(), key());
      expect(result).toMatchObject({ ok: false, broken: { chainId: head.id, seq: last.seq, id: last.id, problem: expect.stringContaining('head record is missing') } });
    } finally {
      await store().insert('auditChains', head);
    }
    expect((await verifyAuditLog(store(), key())).ok).toBe(true);
  });

  it('finds a cut-off end whose head was set back to the last remaining event', async () => {
    const last = rows.at(-1)!;
    const previous = rows.at(-2)!;
    const head = (await store().get('auditChains', last.chainId))!;
    await store().delete('auditEvents', last.id);
    await store().update('auditChains', head.id, { seq: previous.seq, hash: previous.hash, lastEventAt: previous.createdAt });
    try {
      const result = await verifyAuditLog(store(), key());
      expect(result).toMatchObject({ ok: false, broken: { chainId: head.id, seq: previous.seq, problem: "the chain's head record was changed" } });
    } finally {
      await store().insert('auditEvents', last);
      await store().update('auditChains', head.id, { seq: head.seq, hash: head.hash, lastEventAt: head.lastEventAt });
    }
    expect((await verifyAuditLog(store(), key())).ok).toBe(true);
  });

  it('passes while the server goes on writing: what comes after the heads were read waits for the next run', async () => {
    const store_ = store();
    const list = store_.list.bind(store_);
    let appended = false;
    // The first page of events is read, then the server appends more before the rest is read.
    const spy = vi.spyOn(store_, 'list').mockImplementation(async (table, where, page) => {
      const result = await list(table, where, page);
      if (table === 'auditEvents' && !appended) {
        appended = true;
        await kp.call('POST', '/org/v2/environments', { body: { display_name: 'during-verify' } });
      }
      return result;
    });
    try {
      const result = await verifyAuditLog(store_, key());
      expect(result.ok, JSON.stringify(result)).toBe(true);
    } finally {
      spy.mockRestore();
    }
    expect(appended).toBe(true);
  });
});
