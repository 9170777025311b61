import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hasIdShape, idPrefixes, isApiKeyId, newApiKeyId, newId, principalKindOf } from './ids.js';

describe('ids', () => {
  it('makes API key ids of 16 characters of [A-Z0-9]', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newApiKeyId(randomBytes)));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Z0-9]{16}$/);
    expect(isApiKeyId('ABCDEFGHIJKLMNOP')).toBe(true);
    expect(isApiKeyId('abcdefghijklmnop')).toBe(false);
    expect(isApiKeyId('ABCDEFGHIJKLMNO')).toBe(false);
  });

  it.each(Object.entries(idPrefixes))('makes %s ids with their prefix', (kind, { prefix, length }) => {
    const id = newId(kind as keyof typeof idPrefixes, randomBytes);
    expect(id.startsWith(prefix)).toBe(true);
    expect(id.slice(prefix.length)).toMatch(new RegExp(`^[a-z0-9]{${length}}$`));
    expect(hasIdShape(kind as keyof typeof idPrefixes, id)).toBe(true);
  });

  it('uses every character of the alphabet without bias towards the first ones', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) for (const ch of newId('user', randomBytes).slice(2)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(36);
    // 18,000 draws over 36 characters: 500 each on average; a modulo bias would push a-d near 570.
    for (const n of counts.values()) expect(n).toBeLessThan(620);
  });

  it('infers the principal kind from the prefix', () => {
    expect(principalKindOf('u-abc123')).toBe('User');
    expect(principalKindOf('sa-abc123')).toBe('ServiceAccount');
    expect(principalKindOf('env-abc123')).toBeUndefined();
    expect(principalKindOf('u-')).toBeUndefined();
    expect(principalKindOf('sa-ABC')).toBeUndefined();
  });
});
