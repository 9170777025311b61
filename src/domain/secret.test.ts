import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSecret, crc32, isChecksummedSecret, newSecret, SECRET_ALPHABET, secretChecksum } from './secret.js';

const DOCS_EXAMPLE = 'cfltT8d8RzkNseTMEDKcjNM1BZTFPHqRn/dQm9q7w6SjzZ12wZfwjaJdipHZtDjw';

describe('secret format', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32('')).toBe(0);
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339);
  });

  it('checksums as base64 of the little-endian CRC without padding', () => {
    const body = DOCS_EXAMPLE.slice(4, 58);
    const le = Buffer.alloc(4);
    le.writeUInt32LE(crc32(body));
    expect(secretChecksum(body)).toBe(le.toString('base64').replace(/=+$/, ''));
    expect(secretChecksum(body)).toBe(DOCS_EXAMPLE.slice(58));
  });

  it('accepts the documentation example', () => {
    expect(checkSecret(DOCS_EXAMPLE)).toEqual({ ok: true, kind: 'checksummed' });
    expect(isChecksummedSecret(DOCS_EXAMPLE)).toBe(true);
  });

  it('refuses the example with any single character changed', () => {
    for (let i = 0; i < DOCS_EXAMPLE.length; i++) {
      const original = DOCS_EXAMPLE[i]!;
      const replacement = SECRET_ALPHABET[(SECRET_ALPHABET.indexOf(original) + 1) % SECRET_ALPHABET.length]!;
      const changed = DOCS_EXAMPLE.slice(0, i) + replacement + DOCS_EXAMPLE.slice(i + 1);
      expect(isChecksummedSecret(changed), `position ${i}`).toBe(false);
    }
  });

  it('refuses wrong lengths and characters, naming the rule but never the secret', () => {
    for (const bad of [DOCS_EXAMPLE.slice(0, 63), `${DOCS_EXAMPLE}A`, `${DOCS_EXAMPLE.slice(0, 63)}-`, '']) {
      const result = checkSecret(bad);
      expect(result.ok).toBe(false);
      if (!result.ok && bad) expect(result.reason).not.toContain(bad.slice(4, 20));
    }
  });

  it('recognises legacy 64-character secrets without the prefix', () => {
    const legacy = 'R15hoiDIq8Nxu/lY4mPO3DwAVIfU5W7OI+efsB607mLgHTnVW5XJGVqX2ysDx987';
    expect(checkSecret(legacy)).toEqual({ ok: true, kind: 'legacy' });
    expect(isChecksummedSecret(legacy)).toBe(false);
  });

  it('generates valid, distinct secrets over the whole alphabet', () => {
    const seen = new Set<string>();
    const chars = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const s = newSecret(randomBytes);
      expect(isChecksummedSecret(s)).toBe(true);
      seen.add(s);
      for (const ch of s.slice(4, 58)) chars.add(ch);
    }
    expect(seen.size).toBe(500);
    expect(chars.size).toBe(64);
  });
});
