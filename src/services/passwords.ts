import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { badField } from '../domain/errors.js';

/** Console passwords, in characters (code points). */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

const LOG_N = 15;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** scrypt needs 128·N·r bytes (32 MiB at N=2^15, r=8); Node's default ceiling is exactly that, too tight. */
const MAX_MEMORY = 256 * 1024 * 1024;
/** Stored parameters are trusted only within these bounds, so a tampered row cannot make a check run for minutes. */
const MAX_LOG_N = 20;
const MAX_R = 16;
const MAX_P = 4;

const HASH_RE = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** The password when its length is allowed, else a 400 naming `pointer` (the password is never echoed). */
export function checkPassword(pointer: string, password: string): string {
  // Counted only up to one past the limit, so a huge value costs no more than a long one.
  let length = 0;
  for (const _ of password) if (++length > PASSWORD_MAX_LENGTH) break;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw badField(pointer, `${pointer} must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`);
  }
  if (!password.isWellFormed()) throw badField(pointer, `${pointer} must be valid Unicode (it holds a lone surrogate)`);
  return password;
}

function derive(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** logN, r, p, maxmem: MAX_MEMORY };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, HASH_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** `scrypt$<logN>$<r>$<p>$<salt b64>$<hash b64>` for a password, under a fresh 16-byte salt. */
export async function hashPassword(password: string, random: (n: number) => Uint8Array = randomBytes): Promise<string> {
  const salt = Buffer.from(random(SALT_BYTES));
  const key = await derive(password, salt, LOG_N, R, P);
  return `scrypt$${LOG_N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

let dummy: Promise<string> | undefined;

/**
 * Makes the dummy hash now rather than at the first sign-in with an unknown email, which would
 * otherwise take twice as long as any other and so tell itself apart.
 */
export function prepareDummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(18).toString('base64'));
  return dummy;
}

/**
 * Whether `password` matches the stored hash, compared in constant time. Without a stored hash
 * (no such user, no password set) a dummy hash is checked instead, so the answer takes as long.
 */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const real = parse(stored ?? '');
  const checked = real ?? parse(await prepareDummyHash())!;
  const key = await derive(password, checked.salt, checked.logN, checked.r, checked.p);
  return timingSafeEqual(key, checked.hash) && real !== undefined;
}

function parse(stored: string): { logN: number; r: number; p: number; salt: Buffer; hash: Buffer } | undefined {
  const match = HASH_RE.exec(stored);
  if (!match) return undefined;
  const [logN, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const hash = Buffer.from(match[5]!, 'base64');
  if (logN < 1 || logN > MAX_LOG_N || r < 1 || r > MAX_R || p < 1 || p > MAX_P || hash.length !== HASH_BYTES) return undefined;
  return { logN, r, p, salt: Buffer.from(match[4]!, 'base64'), hash };
}
