/**
 * API key secrets: `cflt` + 54 random characters of [A-Za-z0-9+/] + 6 checksum characters.
 * The checksum is the standard CRC-32 (zlib) of the 54 body characters as 4 little-endian bytes,
 * base64-encoded with the padding removed. Legacy secrets are 64 characters of the same alphabet
 * without the prefix and carry no checksum.
 */
export const SECRET_PREFIX = 'cflt';
export const SECRET_BODY_LENGTH = 54;
export const SECRET_CHECKSUM_LENGTH = 6;
export const SECRET_LENGTH = SECRET_PREFIX.length + SECRET_BODY_LENGTH + SECRET_CHECKSUM_LENGTH;
export const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const BASE64_ALPHABET = SECRET_ALPHABET;
const ALPHABET_RE = /^[A-Za-z0-9+/]+$/;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Standard CRC-32 (IEEE 802.3, as zlib computes it) of an ASCII string. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The 6-character checksum of a 54-character body. */
export function secretChecksum(body: string): string {
  const v = crc32(body);
  const bytes = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  // 4 bytes encode to 6 significant base64 characters followed by "==".
  let out = '';
  for (let i = 0; i < 4; i += 3) {
    const b0 = bytes[i]!;
    const b1 = bytes[i + 1] ?? 0;
    const b2 = bytes[i + 2] ?? 0;
    const triple = (b0 << 16) | (b1 << 8) | b2;
    out += BASE64_ALPHABET[(triple >>> 18) & 63]!;
    out += BASE64_ALPHABET[(triple >>> 12) & 63]!;
    out += BASE64_ALPHABET[(triple >>> 6) & 63]!;
    out += BASE64_ALPHABET[triple & 63]!;
  }
  return out.slice(0, SECRET_CHECKSUM_LENGTH);
}

export type SecretKind = 'checksummed' | 'legacy';

export type SecretCheck = { ok: true; kind: SecretKind } | { ok: false; reason: string };

/** Whether a string is a well-formed secret. Never includes the secret in the reason. */
export function checkSecret(secret: string): SecretCheck {
  if (secret.length !== SECRET_LENGTH) {
    return { ok: false, reason: `a secret is ${SECRET_LENGTH} characters long` };
  }
  if (!ALPHABET_RE.test(secret)) {
    return { ok: false, reason: 'a secret uses only the characters A-Z, a-z, 0-9, + and /' };
  }
  if (!secret.startsWith(SECRET_PREFIX)) return { ok: true, kind: 'legacy' };
  const body = secret.slice(SECRET_PREFIX.length, SECRET_PREFIX.length + SECRET_BODY_LENGTH);
  const checksum = secret.slice(SECRET_PREFIX.length + SECRET_BODY_LENGTH);
  if (secretChecksum(body) !== checksum) {
    // A prefixed secret with a wrong checksum is a mistyped or forged one, not a legacy secret.
    return { ok: false, reason: 'the secret checksum does not match' };
  }
  return { ok: true, kind: 'checksummed' };
}

/** Whether a string is a `cflt` secret whose checksum validates. */
export function isChecksummedSecret(secret: string): boolean {
  const result = checkSecret(secret);
  return result.ok && result.kind === 'checksummed';
}

/**
 * A new secret from a source of random bytes. Taking the low 6 bits of each byte keeps every
 * character uniform because 256 is a multiple of 64.
 */
export function newSecret(randomBytes: (n: number) => Uint8Array): string {
  const bytes = randomBytes(SECRET_BODY_LENGTH);
  let body = '';
  for (let i = 0; i < SECRET_BODY_LENGTH; i++) body += SECRET_ALPHABET[bytes[i]! & 63]!;
  return SECRET_PREFIX + body + secretChecksum(body);
}
