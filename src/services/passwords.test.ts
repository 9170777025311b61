import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyplaneError } from '../domain/errors.js';
import { checkPassword, hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyPassword } from './passwords.js';

const PASSWORD = 'correct horse battery';

describe('password hashing', () => {
  it('stores scrypt N=2^15, r=8, p=1 with a 16-byte salt, in the documented form', async () => {
    const stored = await hashPassword(PASSWORD);
    const match = /^scrypt\$15\$8\$1\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/.exec(stored);
    expect(match).not.toBeNull();
    const salt = Buffer.from(match![1]!, 'base64');
    expect(salt).toHaveLength(16);
    const expected = scryptSync(PASSWORD, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    expect(match![2]).toBe(expected.toString('base64'));
    expect(stored).not.toContain(PASSWORD);
  });

  it('salts each hash afresh', async () => {
    expect(await hashPassword(PASSWORD)).not.toBe(await hashPassword(PASSWORD));
  });

  it('verifies the right password only', async () => {
    const stored = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
    expect(await verifyPassword(`${PASSWORD} `, stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('refuses without a stored hash, or with one it cannot trust, after checking a dummy', async () => {
    const stored = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, null)).toBe(false);
    expect(await verifyPassword(PASSWORD, undefined)).toBe(false);
    expect(await verifyPassword(PASSWORD, 'not a hash')).toBe(false);
    // Parameters past the bounds (a tampered row) are not run.
    expect(await verifyPassword(PASSWORD, stored.replace('scrypt$15$', 'scrypt$30$'))).toBe(false);
    expect(await verifyPassword(PASSWORD, stored.slice(0, -8))).toBe(false);
  });

  it('treats a composed and a decomposed accent as the same password', async () => {
    const stored = await hashPassword('caf\u00e9-password-1');
    expect(await verifyPassword('cafe\u0301-password-1', stored)).toBe(true);
  });
});

describe('password rules', () => {
  const refused = (password: string) => {
    try {
      checkPassword('/password', password);
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(KeyplaneError);
      return (error as KeyplaneError).source?.pointer;
    }
  };

  it('takes 12 to 256 characters, counted as code points', () => {
    expect(refused('x'.repeat(PASSWORD_MIN_LENGTH - 1))).toBe('/password');
    expect(refused('x'.repeat(PASSWORD_MIN_LENGTH))).toBeUndefined();
    expect(refused('x'.repeat(PASSWORD_MAX_LENGTH))).toBeUndefined();
    expect(refused('x'.repeat(PASSWORD_MAX_LENGTH + 1))).toBe('/password');
    expect(refused('x'.repeat(1_000_000))).toBe('/password');
    expect(refused('🔑'.repeat(PASSWORD_MIN_LENGTH))).toBeUndefined();
    expect(refused('🔑'.repeat(PASSWORD_MAX_LENGTH))).toBeUndefined();
  });

  it('refuses a lone surrogate and never repeats the password', () => {
    expect(refused(`${'x'.repeat(12)}\ud800`)).toBe('/password');
    expect(() => checkPassword('/new_password', 'secret-short')).not.toThrow();
    try {
      checkPassword('/new_password', 'tiny');
      expect.unreachable();
    } catch (error) {
      expect((error as KeyplaneError).detail).not.toContain('tiny');
      expect((error as KeyplaneError).source).toEqual({ pointer: '/new_password' });
    }
  });
});
