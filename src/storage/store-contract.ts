import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyRow } from '../../test/support/rows.js';
import type { ApiKey } from './schema.js';
import { LIST_TOTAL_CAP, type Store, UniqueViolation, type Where } from './store.js';

/**
 * The contract every Store backend passes. A backend's test file calls this with a factory that
 * opens an empty, migrated store; nothing here knows which backend it runs against.
 */
export function describeStoreContract(backend: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${backend}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
    const key = (id: string, n: number, over: Partial<ApiKey> = {}): ApiKey => apiKeyRow(id, at(n), { description: `key ${id}`, ...over });
    const sa = (id: string, name: string, n = 0) => ({
      id,
      displayName: name,
      description: '',
      createdAt: at(n),
      updatedAt: at(n),
    });

    it('stores a row and reads it back unchanged', async () => {
      const row = key('AAAAAAAAAAAAAAAA', 1, { resourceEnvironmentId: 'env-abc123', lastUsedAt: at(5) });
      await store.insert('apiKeys', row);
      expect(await store.get('apiKeys', row.id)).toEqual(row);
      expect(await store.get('apiKeys', 'NOPE')).toBeUndefined();
    });

    it('rejects a duplicate primary key and a duplicate unique column with UniqueViolation', async () => {
      await store.insert('serviceAccounts', sa('sa-1', 'orders'));
      await expect(store.insert('serviceAccounts', sa('sa-1', 'other'))).rejects.toBeInstanceOf(UniqueViolation);
      await expect(store.insert('serviceAccounts', sa('sa-2', 'orders'))).rejects.toBeInstanceOf(UniqueViolation);
      expect(await store.count('serviceAccounts', {})).toBe(1);
    });

    it('updates only the given fields and returns the row after the update', async () => {
      await store.insert('apiKeys', key('K1', 1));
      const updated = await store.update('apiKeys', 'K1', { description: 'changed', updatedAt: at(9) });
      expect(updated).toMatchObject({ id: 'K1', description: 'changed', updatedAt: at(9), ownerId: 'sa-owner1' });
      expect(await store.update('apiKeys', 'missing', { description: 'x' })).toBeUndefined();
    });

    it('reports a unique violation on update', async () => {
      await store.insert('serviceAccounts', sa('sa-1', 'a'));
      await store.insert('serviceAccounts', sa('sa-2', 'b'));
      await expect(store.update('serviceAccounts', 'sa-2', { displayName: 'a' })).rejects.toBeInstanceOf(UniqueViolation);
      expect((await store.get('serviceAccounts', 'sa-2'))?.displayName).toBe('b');
    });

    it('deletes by id and by filter, naming what it removed', async () => {
      for (let i = 0; i < 5; i++) await store.insert('apiKeys', key(`K${i}`, i, { ownerId: i < 3 ? 'u-a' : 'u-b' }));
      expect(await store.delete('apiKeys', 'K0')).toBe(true);
      expect(await store.delete('apiKeys', 'K0')).toBe(false);
      const removed = await store.deleteWhere('apiKeys', { ownerId: 'u-a' });
      expect(removed.map((r) => r.id).sort()).toEqual(['K1', 'K2']);
      expect(removed.find((r) => r.id === 'K1')).toEqual(key('K1', 1, { ownerId: 'u-a' }));
      expect(await store.deleteWhere('apiKeys', { ownerId: [] })).toEqual([]);
      expect(await store.count('apiKeys', {})).toBe(2);
    });

    it('deletes rows created before a time', async () => {
      for (let i = 0; i < 5; i++) await store.insert('apiKeys', key(`K${i}`, i));
      expect(await store.deleteCreatedBefore('apiKeys', at(2))).toBe(2);
      expect((await store.list('apiKeys', {}, { limit: 10 })).items.map((r) => r.id)).toEqual(['K2', 'K3', 'K4']);
    });

    const note = (id: string, payload: string, n = 0) => ({ id, channel: 'test.channel', payload, createdAt: at(n) });

    it('delivers a published message after its transaction commits, and keeps it', async () => {
      const heard: string[] = [];
      const unsubscribe = store.subscribe('test.channel', { onMessage: (p) => heard.push(p) });
      await store.transaction(async (tx) => {
        await tx.publish(note('n1', 'first'));
        expect(heard).toEqual([]);
      });
      expect(heard).toEqual(['first']);
      await store.publish(note('n2', 'second', 1));
      expect(heard).toEqual(['first', 'second']);
      const kept = await store.list('notifications', { channel: 'test.channel' }, { limit: 10 });
      expect(kept.items.map((n) => n.payload)).toEqual(['first', 'second']);
      unsubscribe();
      await store.publish(note('n3', 'unheard', 2));
      expect(heard).toEqual(['first', 'second']);
    });

    it('publishes nothing from a transaction that rolls back', async () => {
      const heard: string[] = [];
      store.subscribe('test.channel', { onMessage: (p) => heard.push(p) });
      await expect(
        store.transaction(async (tx) => {
          await tx.publish(note('n1', 'never'));
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(heard).toEqual([]);
      expect(await store.count('notifications', {})).toBe(0);
    });

    it('filters by equality, by any-of and by null', async () => {
      await store.insert('apiKeys', key('K1', 1, { resourceId: 'lkc-1', resourceEnvironmentId: 'env-1', scopeKind: 'Cluster' }));
      await store.insert('apiKeys', key('K2', 2, { resourceId: 'lkc-2', resourceEnvironmentId: 'env-1', scopeKind: 'Cluster' }));
      await store.insert('apiKeys', key('K3', 3));
      expect(await store.count('apiKeys', { resourceId: 'lkc-1' })).toBe(1);
      expect(await store.count('apiKeys', { resourceId: ['lkc-1', 'lkc-2'] })).toBe(2);
      expect(await store.count('apiKeys', { resourceEnvironmentId: null })).toBe(1);
      expect((await store.find('apiKeys', { resourceEnvironmentId: 'env-1' }))?.id).toBe('K1');
      expect(await store.find('apiKeys', { ownerId: 'nobody' })).toBeUndefined();
    });

    it('filters by any of several filters, within the column filter', async () => {
      await store.insert('apiKeys', key('K1', 1, { resourceId: 'lkc-1', resourceEnvironmentId: 'env-1', scopeKind: 'Cluster' }));
      await store.insert('apiKeys', key('K2', 2, { resourceId: 'lkc-2', resourceEnvironmentId: 'env-2', scopeKind: 'Cluster' }));
      await store.insert('apiKeys', key('K3', 3, { ownerId: 'u-other' }));
      await store.insert('apiKeys', key('K4', 4));
      const visible = { anyOf: [{ resourceEnvironmentId: 'env-2' }, { ownerId: 'u-other', scopeKind: 'Cloud' }] };
      const page = await store.list('apiKeys', visible, { limit: 10 });
      expect(page.items.map((k) => k.id)).toEqual(['K2', 'K3']);
      expect(page.total).toBe(2);
      expect(await store.count('apiKeys', { scopeKind: 'Cluster', ...visible })).toBe(1);
      expect(await store.count('apiKeys', { anyOf: [] })).toBe(0);
      expect(await store.count('apiKeys', { anyOf: [{ resourceId: [] }, { resourceId: ['lkc-1'] }] })).toBe(1);
      expect((await store.deleteWhere('apiKeys', { anyOf: [{ id: 'K1' }, { id: 'K4' }] })).map((k) => k.id).sort()).toEqual(['K1', 'K4']);
      expect(await store.count('apiKeys', {})).toBe(2);
    });

    it('pages by (createdAt, id) so every row is seen exactly once, ties included', async () => {
      // Rows share creation times in threes, so the id must break ties.
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) {
        const id = `K${String(i).padStart(3, '0')}`;
        ids.push(id);
        await store.insert('apiKeys', key(id, Math.floor((24 - i) / 3)));
      }
      const seen: string[] = [];
      let after: { createdAt: string; id: string } | undefined;
      let pages = 0;
      do {
        const page = await store.list('apiKeys', {}, { limit: 10, after });
        expect(page.total).toBe(25);
        seen.push(...page.items.map((r) => r.id));
        after = page.next;
        pages++;
      } while (after);
      expect(pages).toBe(3);
      expect(new Set(seen).size).toBe(25);
      expect([...seen].sort()).toEqual(ids);
      const order = seen.map((id) => [(ids.indexOf(id) - 24) * -1, id] as const);
      const times = order.map(([n]) => Math.floor(n / 3));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('pages newest first when asked, every row once, ties broken by id downwards', async () => {
      for (let i = 0; i < 12; i++) await store.insert('apiKeys', key(`N${String(i).padStart(3, '0')}`, Math.floor(i / 3)));
      const seen: Array<{ createdAt: string; id: string }> = [];
      let after: { createdAt: string; id: string } | undefined;
      do {
        const page = await store.list('apiKeys', {}, { limit: 5, after, newestFirst: true });
        expect(page.total).toBe(12);
        seen.push(...page.items.map((r) => ({ createdAt: r.createdAt, id: r.id })));
        after = page.next;
      } while (after);
      expect(seen.map((r) => r.id)).toEqual(Array.from({ length: 12 }, (_, i) => `N${String(11 - i).padStart(3, '0')}`));
      const pairs = seen.map((r) => `${r.createdAt} ${r.id}`);
      expect(pairs).toEqual([...pairs].sort().reverse());
    });

    it('inserts many rows at once, or none when one collides', async () => {
      const rows = Array.from({ length: 2500 }, (_, i) => key(`M${String(i).padStart(5, '0')}`, i % 60));
      await store.insertMany('apiKeys', rows);
      expect(await store.count('apiKeys', {})).toBe(2500);
      const clash = [key('NEW1', 1), key('M00007', 1)];
      await expect(store.insertMany('apiKeys', clash)).rejects.toBeInstanceOf(UniqueViolation);
      expect(await store.get('apiKeys', 'NEW1')).toBeUndefined();
    });

    it('leaves the total out of a page once the filter matches more than LIST_TOTAL_CAP rows', async () => {
      const rows = Array.from({ length: LIST_TOTAL_CAP + 1 }, (_, i) => key(`T${String(i).padStart(6, '0')}`, 0));
      await store.insertMany('apiKeys', rows.slice(0, LIST_TOTAL_CAP));
      expect((await store.list('apiKeys', {}, { limit: 1 })).total).toBe(LIST_TOTAL_CAP);
      await store.insert('apiKeys', rows[LIST_TOTAL_CAP]!);
      const page = await store.list('apiKeys', {}, { limit: 1 });
      expect(page.total).toBeUndefined();
      expect(page.next).toBeDefined();
      expect(await store.count('apiKeys', {})).toBe(LIST_TOTAL_CAP + 1);
    });

    it('leaves the total out when asked not to count, and pages the same', async () => {
      for (let i = 0; i < 5; i++) await store.insert('apiKeys', key(`N${i}`, i));
      const first = await store.list('apiKeys', {}, { limit: 3, total: false });
      expect(first.total).toBeUndefined();
      expect(first.items.map((k) => k.id)).toEqual(['N0', 'N1', 'N2']);
      const second = await store.list('apiKeys', {}, { limit: 3, after: first.next, total: false });
      expect(second.items.map((k) => k.id)).toEqual(['N3', 'N4']);
      expect(second.next).toBeUndefined();
    });

    it('gives no next cursor when the last page is exactly full', async () => {
      for (let i = 0; i < 10; i++) await store.insert('apiKeys', key(`K${i}`, i));
      const page = await store.list('apiKeys', {}, { limit: 10 });
      expect(page.items).toHaveLength(10);
      expect(page.next).toBeUndefined();
    });

    it('pages within a filter', async () => {
      for (let i = 0; i < 12; i++) await store.insert('apiKeys', key(`K${i}`, i, { ownerId: i % 2 ? 'u-odd' : 'u-even' }));
      const first = await store.list('apiKeys', { ownerId: 'u-odd' }, { limit: 4 });
      expect(first.total).toBe(6);
      expect(first.items.every((r) => r.ownerId === 'u-odd')).toBe(true);
      const second = await store.list('apiKeys', { ownerId: 'u-odd' }, { limit: 4, after: first.next });
      expect(second.items).toHaveLength(2);
      expect(second.next).toBeUndefined();
    });

    it('rolls a transaction back when its function throws', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.insert('apiKeys', key('K1', 1));
          await tx.insert('serviceAccounts', sa('sa-1', 'x'));
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await store.count('apiKeys', {})).toBe(0);
      expect(await store.count('serviceAccounts', {})).toBe(0);
    });

    it('lets a nested transaction join the outer one', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.transaction(async (inner) => inner.insert('apiKeys', key('K1', 1)));
          throw new Error('abort outer');
        }),
      ).rejects.toThrow('abort outer');
      expect(await store.get('apiKeys', 'K1')).toBeUndefined();
    });

    it('undoes only a failed nested transaction, and the outer one goes on after a unique violation', async () => {
      await store.insert('serviceAccounts', sa('sa-taken', 'taken'));
      await store.transaction(async (tx) => {
        await tx.insert('apiKeys', key('K1', 1));
        await expect(
          tx.transaction(async (inner) => {
            await inner.insert('apiKeys', key('K2', 2));
            await inner.insert('serviceAccounts', sa('sa-taken', 'taken'));
          }),
        ).rejects.toBeInstanceOf(UniqueViolation);
        // Still usable: reads and writes after the failure (PostgreSQL would abort the whole transaction).
        expect(await tx.get('serviceAccounts', 'sa-taken')).toBeDefined();
        await tx.insert('apiKeys', key('K3', 3));
      });
      expect((await store.get('apiKeys', 'K1'))?.id).toBe('K1');
      expect(await store.get('apiKeys', 'K2')).toBeUndefined();
      expect((await store.get('apiKeys', 'K3'))?.id).toBe('K3');
    });

    it('makes count-then-insert under a lock exact when transactions race', async () => {
      const limit = 5;
      const attempts = Array.from({ length: 30 }, (_, i) =>
        store.transaction(async (tx) => {
          await tx.lock('quota:u-racer');
          const n = await tx.count('apiKeys', { ownerId: 'u-racer' });
          if (n >= limit) return false;
          await tx.insert('apiKeys', key(`R${String(i).padStart(2, '0')}`, i, { ownerId: 'u-racer' }));
          return true;
        }),
      );
      const results = await Promise.all(attempts);
      expect(results.filter(Boolean)).toHaveLength(limit);
      expect(await store.count('apiKeys', { ownerId: 'u-racer' })).toBe(limit);
    });

    it('adds to counters, creating them at first and removing them at zero', async () => {
      const add = (deltas: Record<string, number>, n: number) => store.addToCounters(new Map(Object.entries(deltas)), at(n));
      expect(await add({ 'c:1': 1 }, 1)).toEqual(new Map([['c:1', 1]]));
      expect(await add({ 'c:2': 5, 'c:1': 2 }, 2)).toEqual(new Map([['c:1', 3], ['c:2', 5]]));
      expect(await add({ 'c:1': -3, 'c:2': -1, 'c:3': 4 }, 3)).toEqual(new Map([['c:1', 0], ['c:2', 4], ['c:3', 4]]));
      expect(await store.get('counters', 'c:1')).toBeUndefined();
      expect(await store.get('counters', 'c:2')).toMatchObject({ value: 4 });
      expect(await add({}, 4)).toEqual(new Map());
    });

    it('keeps a counter exact when transactions add to it at once, and rolls back with them', async () => {
      const limit = 7;
      const attempts = Array.from({ length: 30 }, () =>
        store
          .transaction(async (tx) => {
            const value = (await tx.addToCounters(new Map([['c:race', 1], ['c:other', 1]]), at(1))).get('c:race')!;
            if (value > limit) throw new Error('over');
            return true;
          })
          .catch(() => false),
      );
      const results = await Promise.all(attempts);
      expect(results.filter(Boolean)).toHaveLength(limit);
      expect((await store.get('counters', 'c:race'))?.value).toBe(limit);
    });

    it('moves last-used times forward only, leaving other columns alone and skipping keys that are gone', async () => {
      await store.insert('apiKeys', key('K1', 1));
      await store.insert('apiKeys', key('K2', 2, { lastUsedAt: at(10) }));
      await store.insert('apiKeys', key('K3', 3, { lastUsedAt: at(10) }));
      await store.recordKeysUsed(
        new Map([
          ['K3', at(3)],
          ['GONE', at(7)],
          ['K2', at(20)],
          ['K1', at(5)],
        ]),
      );
      expect(await store.get('apiKeys', 'K1')).toEqual(key('K1', 1, { lastUsedAt: at(5) }));
      expect((await store.get('apiKeys', 'K2'))?.lastUsedAt).toBe(at(20));
      expect((await store.get('apiKeys', 'K3'))?.lastUsedAt).toBe(at(10));
      expect(await store.get('apiKeys', 'GONE')).toBeUndefined();
      await store.recordKeysUsed(new Map());
      await store.recordKeysUsed(new Map([['K2', at(20)]]));
      expect((await store.get('apiKeys', 'K2'))?.lastUsedAt).toBe(at(20));
    });

    it('records last use for thousands of keys in one call, and rolls back with a transaction', async () => {
      const rows = Array.from({ length: 3000 }, (_, i) => key(`U${String(i).padStart(5, '0')}`, 0));
      await store.insertMany('apiKeys', rows);
      await store.recordKeysUsed(new Map(rows.map((r, i) => [r.id, at(i % 50)])));
      expect(await store.count('apiKeys', { notSince: { lastUsedAt: at(25) } })).toBe(1500);
      expect((await store.get('apiKeys', 'U02999'))?.lastUsedAt).toBe(at(49));
      await expect(
        store.transaction(async (tx) => {
          await tx.recordKeysUsed(new Map([['U00000', at(59)]]));
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect((await store.get('apiKeys', 'U00000'))?.lastUsedAt).toBe(at(0));
    });

    it('keeps the latest last-used time when writers race over the same keys in different orders', async () => {
      const ids = Array.from({ length: 40 }, (_, i) => `L${String(i).padStart(2, '0')}`);
      await store.insertMany('apiKeys', ids.map((id) => key(id, 0)));
      const time = (writer: number, k: number) => (writer * 7 + k * 3) % 53;
      const writers = [0, 1, 2, 3, 4, 5, 6, 7];
      await Promise.all(
        writers.map((w) => {
          const order = w % 2 ? [...ids].reverse() : ids;
          return store.recordKeysUsed(new Map(order.map((id) => [id, at(time(w, ids.indexOf(id)))])));
        }),
      );
      const page = await store.list('apiKeys', {}, { limit: 100 });
      const expected = ids.map((_, k) => at(Math.max(...writers.map((w) => time(w, k)))));
      expect(page.items.map((r) => r.lastUsedAt)).toEqual(expected);
    });

    it('filters by time range (since, before) and by text prefix (startsWith), with column filters', async () => {
      for (let i = 0; i < 10; i++) {
        await store.insert('apiKeys', key(`K${i}`, i, { ownerId: i < 5 ? 'u-a%' : 'u-ab', lastUsedAt: at(i) }));
      }
      const ids = async (where: Where<'apiKeys'>) => (await store.list('apiKeys', where, { limit: 100 })).items.map((k) => k.id);
      expect(await ids({ since: { lastUsedAt: at(7) } })).toEqual(['K7', 'K8', 'K9']);
      expect(await ids({ since: { lastUsedAt: at(2) }, before: { lastUsedAt: at(4) } })).toEqual(['K2', 'K3']);
      // A prefix is text, not a pattern: % matches itself only.
      expect(await ids({ startsWith: { ownerId: 'u-a%' } })).toEqual(['K0', 'K1', 'K2', 'K3', 'K4']);
      expect(await ids({ startsWith: { ownerId: 'u-a' } })).toHaveLength(10);
      expect(await store.count('apiKeys', { startsWith: { ownerId: 'u-ab' }, since: { lastUsedAt: at(8) } })).toBe(2);
      expect(await ids({ startsWith: { ownerId: 'u-b' } })).toEqual([]);
    });

    it('filters by "null or before" (notSince), within column filters and anyOf, and pages', async () => {
      // Even keys were never used; odd key i was last used at(i). K0–K4 belong to u-a, K5–K9 to u-b.
      for (let i = 0; i < 10; i++) {
        await store.insert('apiKeys', key(`K${i}`, i, { ownerId: i < 5 ? 'u-a' : 'u-b', lastUsedAt: i % 2 ? at(i) : null }));
      }
      const ids = async (where: Where<'apiKeys'>) => (await store.list('apiKeys', where, { limit: 100 })).items.map((k) => k.id);
      expect(await ids({ notSince: { lastUsedAt: at(5) } })).toEqual(['K0', 'K1', 'K2', 'K3', 'K4', 'K6', 'K8']);
      expect(await ids({ notSince: { lastUsedAt: at(0) } })).toEqual(['K0', 'K2', 'K4', 'K6', 'K8']);
      expect(await ids({ notSince: { lastUsedAt: undefined } })).toHaveLength(10);
      expect(await store.count('apiKeys', { ownerId: 'u-b', notSince: { lastUsedAt: at(8) } })).toBe(4);
      const visible = { anyOf: [{ ownerId: 'u-b' }, { id: 'K3' }], notSince: { lastUsedAt: at(7) } };
      expect(await ids(visible)).toEqual(['K3', 'K5', 'K6', 'K8']);
      expect(await store.count('apiKeys', { ...visible, anyOf: [] })).toBe(0);
      expect((await store.find('apiKeys', { ownerId: 'u-b', notSince: { lastUsedAt: at(9) } }))?.id).toBe('K5');

      const seen: string[] = [];
      let after: { createdAt: string; id: string } | undefined;
      do {
        const page = await store.list('apiKeys', { notSince: { lastUsedAt: at(5) } }, { limit: 3, after });
        expect(page.total).toBe(7);
        seen.push(...page.items.map((k) => k.id));
        after = page.next;
      } while (after);
      expect(seen).toEqual(['K0', 'K1', 'K2', 'K3', 'K4', 'K6', 'K8']);

      const removed = await store.deleteWhere('apiKeys', { ownerId: 'u-a', notSince: { lastUsedAt: at(2) } });
      expect(removed.map((k) => k.id).sort()).toEqual(['K0', 'K1', 'K2', 'K4']);
    });

    it('enforces foreign keys: a resource needs an existing environment', async () => {
      const resource = {
        id: 'lkc-1',
        type: 'kafka',
        environmentId: 'env-missing',
        displayName: 'c',
        cloud: 'AWS',
        region: 'us-east-1',
        attributes: '{}',
        createdAt: at(1),
        updatedAt: at(1),
      };
      await expect(store.insert('resources', resource)).rejects.toThrow();
      await store.insert('environments', {
        id: 'env-1',
        displayName: 'e',
        streamGovernancePackage: null,
        createdAt: at(0),
        updatedAt: at(0),
      });
      await store.insert('resources', { ...resource, environmentId: 'env-1' });
      expect((await store.get('resources', 'lkc-1'))?.environmentId).toBe('env-1');
    });

    it('answers a ping', async () => {
      expect(await store.ping()).toBe(true);
    });
  });
}
