import { describe, expect, it } from 'vitest';
import { KeyCache, type KeyCacheOptions, type KeyRecord } from './key-cache.js';

const record = (id: string): KeyRecord => ({
  id,
  ownerId: 'sa-abc123',
  ownerKind: 'ServiceAccount',
  scopeKind: 'Cloud',
  resourceId: 'cloud',
  resourceEnvironmentId: null,
  secretHash: `hash-of-${id}`,
  pepperVersion: 1,
});

function cacheWith(options: Partial<KeyCacheOptions> = {}) {
  let now = 1_000;
  const cache = new KeyCache({ maxEntries: 100, maxMisses: 100, missTtlMs: 2_000, clock: () => now, ...options });
  return {
    cache,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Caches what a reader found, as authenticate does: look up, read, remember under that generation. */
function load(cache: KeyCache, id: string, found: KeyRecord | null): void {
  const before = cache.lookup(id);
  if (before.hit) throw new Error(`${id} is already cached`);
  cache.remember(id, found, before.generation);
}

describe('KeyCache', () => {
  it('misses an unknown id and then hits what was remembered', () => {
    const { cache } = cacheWith();
    const first = cache.lookup('AAAAAAAAAAAAAAAA');
    expect(first.hit).toBe(false);
    load(cache, 'AAAAAAAAAAAAAAAA', record('AAAAAAAAAAAAAAAA'));
    expect(cache.lookup('AAAAAAAAAAAAAAAA')).toEqual({ hit: true, record: record('AAAAAAAAAAAAAAAA') });
    expect(cache.size).toBe(1);
  });

  it('keeps at most maxEntries keys, evicting the one cached first', () => {
    const { cache } = cacheWith({ maxEntries: 3 });
    for (const id of ['K1', 'K2', 'K3']) load(cache, id, record(id));
    // A hit does not make a key younger: eviction is by the order keys were cached.
    expect(cache.lookup('K1').hit).toBe(true);
    load(cache, 'K4', record('K4'));
    expect(cache.size).toBe(3);
    expect(cache.lookup('K1').hit).toBe(false);
    for (const id of ['K2', 'K3', 'K4']) expect(cache.lookup(id)).toEqual({ hit: true, record: record(id) });
    load(cache, 'K5', record('K5'));
    expect(cache.lookup('K2').hit).toBe(false);
    expect(cache.size).toBe(3);
  });

  it('caches no keys at all when maxEntries is 0', () => {
    const { cache } = cacheWith({ maxEntries: 0 });
    load(cache, 'K1', record('K1'));
    expect(cache.size).toBe(0);
    expect(cache.lookup('K1').hit).toBe(false);
  });

  it('remembers an unknown id as unknown until missTtlMs has passed', () => {
    const { cache, advance } = cacheWith({ missTtlMs: 2_000 });
    load(cache, 'NOPE', null);
    expect(cache.lookup('NOPE')).toEqual({ hit: true, record: null });
    advance(1_999);
    expect(cache.lookup('NOPE')).toEqual({ hit: true, record: null });
    advance(1);
    const expired = cache.lookup('NOPE');
    expect(expired.hit).toBe(false);
    // Once expired the database is asked again, and its new answer is kept.
    if (!expired.hit) cache.remember('NOPE', record('NOPE'), expired.generation);
    expect(cache.lookup('NOPE')).toEqual({ hit: true, record: record('NOPE') });
    expect(cache.size).toBe(1);
  });

  it('keeps at most maxMisses unknown ids, dropping the oldest', () => {
    const { cache } = cacheWith({ maxMisses: 2 });
    for (const id of ['M1', 'M2', 'M3']) load(cache, id, null);
    expect(cache.lookup('M1').hit).toBe(false);
    expect(cache.lookup('M2')).toEqual({ hit: true, record: null });
    expect(cache.lookup('M3')).toEqual({ hit: true, record: null });
    // Misses never count against the keys.
    expect(cache.size).toBe(0);
  });

  it('remembers no misses when maxMisses is 0', () => {
    const { cache } = cacheWith({ maxMisses: 0 });
    load(cache, 'M1', null);
    expect(cache.lookup('M1').hit).toBe(false);
  });

  it('forgets keys and misses by id, leaving the rest', () => {
    const { cache } = cacheWith();
    load(cache, 'K1', record('K1'));
    load(cache, 'K2', record('K2'));
    load(cache, 'M1', null);
    cache.forget(['K1', 'M1', 'NEVER-SEEN']);
    expect(cache.lookup('K1').hit).toBe(false);
    expect(cache.lookup('M1').hit).toBe(false);
    expect(cache.lookup('K2')).toEqual({ hit: true, record: record('K2') });
    expect(cache.size).toBe(1);
  });

  it('does not cache a read that started before a removal (the read may have seen the removed row)', () => {
    const { cache } = cacheWith();
    const before = cache.lookup('K1');
    expect(before.hit).toBe(false);
    if (before.hit) return;
    // The reader fetched the row; meanwhile the key is removed and forgotten.
    cache.forget(['K1']);
    cache.remember('K1', record('K1'), before.generation);
    expect(cache.lookup('K1').hit).toBe(false);
    expect(cache.size).toBe(0);
    // Any removal counts, not only one of this id: the generation is global.
    const again = cache.lookup('K1');
    if (again.hit) throw new Error('unexpected hit');
    cache.forget(['SOMETHING-ELSE']);
    cache.remember('K1', record('K1'), again.generation);
    expect(cache.lookup('K1').hit).toBe(false);
    // A stale miss is not kept either.
    const miss = cache.lookup('M1');
    if (miss.hit) throw new Error('unexpected hit');
    cache.forget([]);
    cache.remember('M1', null, miss.generation);
    expect(cache.lookup('M1').hit).toBe(false);
    // A read started after the removal is cached as usual.
    load(cache, 'K1', record('K1'));
    expect(cache.lookup('K1').hit).toBe(true);
  });

  it('clear() empties keys and misses and voids reads in flight', () => {
    const { cache } = cacheWith();
    load(cache, 'K1', record('K1'));
    load(cache, 'M1', null);
    const inFlight = cache.lookup('K2');
    if (inFlight.hit) throw new Error('unexpected hit');
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.lookup('K1').hit).toBe(false);
    expect(cache.lookup('M1').hit).toBe(false);
    cache.remember('K2', record('K2'), inFlight.generation);
    expect(cache.lookup('K2').hit).toBe(false);
    load(cache, 'K3', record('K3'));
    expect(cache.size).toBe(1);
  });
});
