import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Peppers } from '../services/secret-hasher.js';

/**
 * The pepper lives in a file of its own, outside the database, so a copy of the database alone
 * cannot be used to test guesses. Format: `{"current": 1, "peppers": {"1": "<base64 of 32 bytes>"}}`.
 * Rotating means adding a version and making it current; older versions stay to verify old keys.
 */
interface PepperFile {
  current: number;
  peppers: Record<string, string>;
}

export function loadOrCreatePeppers(path: string): Peppers {
  if (!existsSync(path)) createPepperFile(path);
  let parsed: PepperFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as PepperFile;
  } catch {
    throw new Error(`the pepper file ${path} is not valid JSON`);
  }
  const keys = new Map<number, Buffer>();
  for (const [version, value] of Object.entries(parsed.peppers ?? {})) {
    const key = Buffer.from(String(value), 'base64');
    if (!/^\d+$/.test(version) || key.length < 32) {
      throw new Error(`the pepper file ${path} has an invalid entry for version "${version}" (need 32+ bytes of base64)`);
    }
    keys.set(Number(version), key);
  }
  if (!Number.isInteger(parsed.current) || !keys.has(parsed.current)) {
    throw new Error(`the pepper file ${path} names current version ${parsed.current}, which it does not hold`);
  }
  return { current: parsed.current, keys };
}

/**
 * Writes a new pepper file whole, then links it into place: nodes starting together on one
 * shared file never read a half-written one, and the one that loses the race uses the winner's.
 */
function createPepperFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const file: PepperFile = { current: 1, peppers: { '1': randomBytes(32).toString('base64') } };
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(draft, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(draft);
  }
}
