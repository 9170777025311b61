import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newSecret } from '../domain/secret.js';
import { loadOrCreatePeppers } from '../storage/pepper-file.js';
import { createSecretHasher } from './secret-hasher.js';

const peppers = (current: number, ...versions: number[]) => ({
  current,
  keys: new Map(versions.map((v) => [v, randomBytes(32)])),
});

describe('secret hasher', () => {
  it('verifies the right secret and refuses any other', () => {
    const hasher = createSecretHasher(peppers(1, 1));
    const secret = newSecret(randomBytes);
    const stored = hasher.hash(secret);
    expect(stored.hash).not.toContain(secret.slice(4, 20));
    expect(hasher.verify(secret, stored)).toBe(true);
    // Flip a body character: the last checksum character has only four possible values.
    const other = secret.slice(0, 10) + (secret[10] === 'a' ? 'b' : 'a') + secret.slice(11);
    expect(hasher.verify(other, stored)).toBe(false);
    expect(hasher.verify(secret, { ...stored, hash: 'short' })).toBe(false);
    expect(hasher.verifyNothing(secret)).toBe(false);
  });

  it('keys the hash: the same secret hashes differently under another pepper', () => {
    const secret = newSecret(randomBytes);
    expect(createSecretHasher(peppers(1, 1)).hash(secret).hash).not.toBe(createSecretHasher(peppers(1, 1)).hash(secret).hash);
  });

  it('keeps verifying hashes made under an older pepper after rotation', () => {
    const p = peppers(1, 1, 2);
    const before = createSecretHasher(p);
    const secret = newSecret(randomBytes);
    const stored = before.hash(secret);
    const after = createSecretHasher({ ...p, current: 2 });
    expect(after.hash(secret).version).toBe(2);
    expect(after.verify(secret, stored)).toBe(true);
    expect(after.verify(secret, { ...stored, version: 9 })).toBe(false);
  });

  it('hashes a secret under every pepper, current first, so a key is found by its secret after rotation', () => {
    const p = peppers(1, 1, 2);
    const secret = newSecret(randomBytes);
    const stored = createSecretHasher(p).hash(secret);
    const all = createSecretHasher({ ...p, current: 2 }).hashesUnderEveryPepper(secret);
    expect(all.map((h) => h.version)).toEqual([2, 1]);
    expect(all[1]).toEqual(stored);
    expect(all[0]!.hash).not.toBe(stored.hash);
  });
});

describe('pepper file', () => {
  it('is created once with mode 0600 and read back the same', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keyplane-pepper-')), 'sub', 'pepper.json');
    const first = loadOrCreatePeppers(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = loadOrCreatePeppers(path);
    expect(second.current).toBe(1);
    expect(second.keys.get(1)?.equals(first.keys.get(1)!)).toBe(true);
  });

  it('refuses a damaged file with a message that names it', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keyplane-pepper-')), 'pepper.json');
    writeFileSync(path, '{ not json');
    expect(() => loadOrCreatePeppers(path)).toThrow(path);
    writeFileSync(path, JSON.stringify({ current: 2, peppers: { '1': randomBytes(32).toString('base64') } }));
    expect(() => loadOrCreatePeppers(path)).toThrow(/current version 2/);
    writeFileSync(path, JSON.stringify({ current: 1, peppers: { '1': 'c2hvcnQ=' } }));
    expect(() => loadOrCreatePeppers(path)).toThrow(/32\+ bytes/);
    expect(readFileSync(path, 'utf8')).toContain('c2hvcnQ=');
  });
});

describe('fingerprints', () => {
  it('are equal for one secret and differ for any other, and hold nothing of the secret', () => {
    const hasher = createSecretHasher(peppers(1, 1));
    const secret = newSecret(randomBytes);
    const print = hasher.fingerprint(secret);
    expect(hasher.sameFingerprint(print, hasher.fingerprint(secret))).toBe(true);
    const oneCharacterOff = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    expect(hasher.sameFingerprint(print, hasher.fingerprint(oneCharacterOff))).toBe(false);
    expect(hasher.sameFingerprint(print, hasher.fingerprint(newSecret(randomBytes)))).toBe(false);
    expect(hasher.sameFingerprint(print, print.slice(1))).toBe(false);
    expect(print).not.toContain(secret.slice(4, 12));
  });
});
