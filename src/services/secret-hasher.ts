import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

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
  /** Constant-time comparison; false for an unknown pepper version. */
  verify(secret: string, stored: SecretHash): boolean;
  /** Burns the same work as a verify, for lookups that found no key, so timing does not tell them apart. */
  verifyNothing(secret: string): false;
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
    verify(secret, stored) {
      const key = keys.get(stored.version);
      const expected = Buffer.from(stored.hash, 'base64');
      if (!key || expected.length !== decoy.length) return verifyNothing(secret);
      return timingSafeEqual(expected, mac(key, secret));
    },
    verifyNothing,
  };
}
