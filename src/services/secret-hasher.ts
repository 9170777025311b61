import { createHmac, createSecretKey, hash, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * Keyed hashing of secrets: HMAC-SHA-256 under a server-side pepper. Peppers are versioned so a
 * new one can be introduced while hashes made under older ones still verify.
 */
export interface Peppers {
  current: number;
  keys: ReadonlyMap<number, Buffer>;
}

export interface SecretHash {
  hash: string;
  version: number;
}

export interface SecretHasher {
  hash(secret: string): SecretHash;
  /** The secret's hash under every pepper, current first: a key is found from its secret alone. */
  hashesUnderEveryPepper(secret: string): SecretHash[];
  /** Constant-time comparison; false for an unknown pepper version. */
  verify(secret: string, stored: SecretHash): boolean;
  /** Burns the same work as a verify, for lookups that found no key, so timing does not tell them apart. */
  verifyNothing(secret: string): false;
  /**
   * SHA-256 of the secret, kept only in a node's memory: a cache remembers the fingerprint of a
   * secret that passed `verify`, so that a repeat costs one SHA-256 (under 1 µs) instead of an
   * HMAC (about 2 µs). Never stored or shown. Unkeyed, because a secret carries over 300 random
   * bits: no search can invert it, and prefixing a key costs 40% of the verification.
   */
  fingerprint(secret: string): string;
  /** Constant-time equality of two fingerprints. */
  sameFingerprint(a: string, b: string): boolean;
}

export function createSecretHasher(peppers: Peppers): SecretHasher {
  // Key objects are made once: building one per HMAC costs more than the HMAC itself.
  const keys = new Map<number, KeyObject>([...peppers.keys].map(([version, key]) => [version, createSecretKey(key)]));
  const current = keys.get(peppers.current);
  if (!current) throw new Error(`pepper version ${peppers.current} is missing`);
  const mac = (key: KeyObject, secret: string) => createHmac('sha256', key).update(secret, 'utf8').digest();
  const decoy = Buffer.alloc(32);
  const verifyNothing = (secret: string): false => {
    timingSafeEqual(mac(current, secret), decoy);
    return false;
  };
  return {
    hash(secret) {
      return { hash: mac(current, secret).toString('base64'), version: peppers.current };
    },
    hashesUnderEveryPepper(secret) {
      const versions = [peppers.current, ...[...keys.keys()].filter((v) => v !== peppers.current)];
      return versions.map((version) => ({ hash: mac(keys.get(version)!, secret).toString('base64'), version }));
    },
    verify(secret, stored) {
      const key = keys.get(stored.version);
      const expected = Buffer.from(stored.hash, 'base64');
      if (!key || expected.length !== decoy.length) return verifyNothing(secret);
      return timingSafeEqual(expected, mac(key, secret));
    },
    verifyNothing,
    // A digest as a string costs less than one as a Buffer: no allocation outside the heap.
    fingerprint: (secret) => hash('sha256', secret, 'base64'),
    sameFingerprint: equalInConstantTime,
  };
}

/**
 * A key for one purpose (`label`), derived from the first pepper, which stays in the pepper file
 * when peppers are rotated, so that what was made under the key keeps verifying. A key object:
 * an HMAC under a Buffer builds the key again at every call.
 */
export function derivedKey(peppers: Peppers, label: string): KeyObject {
  const first = Math.min(...peppers.keys.keys());
  return createSecretKey(createHmac('sha256', peppers.keys.get(first)!).update(label).digest());
}

/** Compares every character whatever the first difference; only the lengths (not secret) end it early. */
function equalInConstantTime(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
