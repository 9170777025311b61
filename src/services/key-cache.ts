import type { ApiKey } from '../storage/schema.js';

/** What verifying a key needs, and nothing a caller could mistake for the current description. */
export type KeyRecord = Pick<
  ApiKey,
  'id' | 'ownerId' | 'ownerKind' | 'scopeKind' | 'resourceId' | 'resourceEnvironmentId' | 'secretHash' | 'pepperVersion'
> & {
  /** The fingerprint (SecretHasher.fingerprint) of the secret once it has verified on this node. */
  verified?: string;
};

export function keyRecord(key: ApiKey): KeyRecord {
  const { id, ownerId, ownerKind, scopeKind, resourceId, resourceEnvironmentId, secretHash, pepperVersion } = key;
  return { id, ownerId, ownerKind, scopeKind, resourceId, resourceEnvironmentId, secretHash, pepperVersion };
}

export interface KeyCacheOptions {
  /** Keys kept; the oldest cached goes first when full. */
  maxEntries: number;
  /** Unknown ids remembered, so that a burst of them does not each reach the database. */
  maxMisses: number;
  /** How long an unknown id stays unknown before the database is asked again. */
  missTtlMs: number;
  clock?: () => number;
}

export type CacheLookup = { hit: true; record: KeyRecord | null } | { hit: false; generation: number };

/**
 * Key records by id, so that a repeat verification costs a map lookup and a hash. Bounded both
 * ways: known keys by `maxEntries`, unknown ids by `maxMisses` and a short lifetime, so random
 * ids cannot grow memory.
 *
 * A read from the database may race a removal: the reader fetched the row, the removal then
 * committed and was forgotten here, and the reader would cache a dead key. Every removal bumps a
 * generation; a read started under an older generation is returned but not cached.
 */
export class KeyCache {
  private readonly entries = new Map<string, KeyRecord>();
  private readonly misses = new Map<string, number>();
  private generation = 0;
  private readonly clock: () => number;

  constructor(private readonly options: KeyCacheOptions) {
    this.clock = options.clock ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached record, null for an id known to be unknown, undefined when the cache cannot say. */
  peek(id: string): KeyRecord | null | undefined {
    const record = this.entries.get(id);
    if (record) return record;
    const until = this.misses.get(id);
    return until !== undefined && until > this.clock() ? null : undefined;
  }

  lookup(id: string): CacheLookup {
    const record = this.entries.get(id);
    if (record) return { hit: true, record };
    const until = this.misses.get(id);
    if (until !== undefined) {
      if (until > this.clock()) return { hit: true, record: null };
      this.misses.delete(id);
    }
    return { hit: false, generation: this.generation };
  }

  /** Remembers what the database said about `id`, unless a removal happened since `generation`. */
  remember(id: string, record: KeyRecord | null, generation: number): void {
    if (generation !== this.generation) return;
    if (record) {
      if (this.options.maxEntries <= 0) return;
      if (!this.entries.has(id) && this.entries.size >= this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(id, record);
    } else {
      if (this.options.maxMisses <= 0) return;
      if (!this.misses.has(id) && this.misses.size >= this.options.maxMisses) this.misses.delete(this.misses.keys().next().value!);
      this.misses.set(id, this.clock() + this.options.missTtlMs);
    }
  }

  forget(ids: Iterable<string>): void {
    this.generation++;
    for (const id of ids) {
      this.entries.delete(id);
      this.misses.delete(id);
    }
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.misses.clear();
  }
}
