/**
 * Identifier formats. Object ids are a lower-case prefix and random [a-z0-9] characters, as
 * Confluent Cloud writes them; API key ids are 16 characters of [A-Z0-9].
 */
export type RandomBytes = (n: number) => Uint8Array;

const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Uniform characters from an alphabet by rejection sampling (36 does not divide 256). */
function randomString(alphabet: string, length: number, randomBytes: RandomBytes): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < limit) out += alphabet[b % alphabet.length]!;
      if (out.length === length) break;
    }
  }
  return out;
}

export const idPrefixes = {
  user: { prefix: 'u-', length: 6 },
  serviceAccount: { prefix: 'sa-', length: 6 },
  environment: { prefix: 'env-', length: 6 },
  kafkaCluster: { prefix: 'lkc-', length: 6 },
  schemaRegistry: { prefix: 'lsrc-', length: 5 },
  ksqldbCluster: { prefix: 'lksqlc-', length: 5 },
  roleBinding: { prefix: 'rb-', length: 5 },
  invitation: { prefix: 'i-', length: 5 },
  kafkaAcl: { prefix: 'acl-', length: 10 },
} as const;

export type IdKind = keyof typeof idPrefixes;

export function newId(kind: IdKind, randomBytes: RandomBytes): string {
  const { prefix, length } = idPrefixes[kind];
  return prefix + randomString(LOWER, length, randomBytes);
}

export const API_KEY_ID_LENGTH = 16;
const API_KEY_ID_RE = /^[A-Z0-9]{16}$/;

export function newApiKeyId(randomBytes: RandomBytes): string {
  return randomString(UPPER, API_KEY_ID_LENGTH, randomBytes);
}

export function isApiKeyId(value: string): boolean {
  return API_KEY_ID_RE.test(value);
}

/** Whether `value` looks like an id of `kind` (prefix and characters; the length may vary for ids imported from elsewhere). */
export function hasIdShape(kind: IdKind, value: string): boolean {
  const { prefix } = idPrefixes[kind];
  return value.startsWith(prefix) && /^[a-z0-9]{1,64}$/.test(value.slice(prefix.length));
}

export type PrincipalKind = 'User' | 'ServiceAccount';

/** The kind of principal an id names, inferred from its prefix, or undefined. */
export function principalKindOf(id: string): PrincipalKind | undefined {
  if (hasIdShape('user', id)) return 'User';
  if (hasIdShape('serviceAccount', id)) return 'ServiceAccount';
  return undefined;
}
