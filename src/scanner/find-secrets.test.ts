import { describe, expect, it } from 'vitest';
import { newSecret, SECRET_ALPHABET, secretChecksum } from '../domain/secret.js';
import { findSecrets } from './find-secrets.js';

/** A deterministic secret per seed, so that failures are reproducible. */
function secret(seed: number): string {
  let state = seed * 2654435761;
  const next = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state >>> 16;
  };
  return newSecret((n) => Uint8Array.from({ length: n }, next));
}

const KEY = 'ABCD1234EFGH5678';

describe('findSecrets: true positives', () => {
  it('finds a secret alone, masked, with line and column and the key id beside it', () => {
    const s = secret(1);
    const text = `first line\n  api_key = "${KEY}"\n  api_secret = "${s}"\n`;
    expect(findSecrets(text)).toEqual([{ line: 3, column: 17, masked: `${s.slice(0, 8)}…`, confidence: 'high', encoding: 'plain', keyId: KEY }]);
    expect(findSecrets(text, { showSecrets: true })[0]!.secret).toBe(s);
    expect(JSON.stringify(findSecrets(text))).not.toContain(s.slice(8));
  });

  it('needs no word boundaries: in a URL path, between slashes and pluses, in a JSON string, twice on a line', () => {
    const [a, b] = [secret(2), secret(3)];
    const text = [`https://h/x/${a}/y`, `+${a}+`, JSON.stringify({ secret: b }), `${a}${b}`].join('\n');
    const found = findSecrets(text);
    expect(found.map((f) => [f.line, f.column])).toEqual([
      [1, 13],
      [2, 2],
      [3, 12],
      [4, 1],
      [4, 65],
    ]);
  });

  it('finds a secret right after a stray prefix, which must not hide it', () => {
    const s = secret(4);
    expect(findSecrets(`cflt${s}`).map((f) => f.column)).toEqual([5]);
    expect(findSecrets(`cfltcflt${s.slice(4)}`).map((f) => f.column)).toEqual([5]);
  });

  it('decodes URL escapes and JSON escaped slashes, and reports the secret where it stands encoded', () => {
    // Find a secret holding both + and /, so that both escapes matter.
    let s = secret(5);
    for (let seed = 6; !(s.includes('+') && s.includes('/')); seed++) s = secret(seed);
    const url = `curl 'https://h/?secret=${encodeURIComponent(s)}'`;
    const json = `{"secret": "${s.replaceAll('/', '\\/')}"}`;
    const [fromUrl] = findSecrets(url, { showSecrets: true });
    expect(fromUrl).toMatchObject({ line: 1, column: url.indexOf('cflt') + 1, encoding: 'url', secret: s });
    const [fromJson] = findSecrets(json, { showSecrets: true });
    expect(fromJson).toMatchObject({ column: json.indexOf('cflt') + 1, encoding: 'json', secret: s });
  });
});

describe('findSecrets: near misses are never reported', () => {
  const s = secret(7);
  const body = s.slice(4, 58);
  const other = secret(8);
  const alphabetSwap = (ch: string) => SECRET_ALPHABET[(SECRET_ALPHABET.indexOf(ch) + 1) % 64]!;

  it.each([
    ['one body character changed', `${s.slice(0, 20)}${alphabetSwap(s[20]!)}${s.slice(21)}`],
    ['one checksum character changed', `${s.slice(0, 60)}${alphabetSwap(s[60]!)}${s.slice(61)}`],
    ['the checksum of another body', `cflt${body}${other.slice(58)}`],
    ['a wrong prefix', `cflT${s.slice(4)}`],
    ['another product prefix', `cflx${body}${secretChecksum(body)}`],
    ['one character short', s.slice(0, 63)],
    ['split across lines', `${s.slice(0, 30)}\n${s.slice(30)}`],
    ['split by a JSON string break', `"${s.slice(0, 30)}" + "${s.slice(30)}"`],
  ])('%s', (_name, text) => {
    expect(findSecrets(`key: ${text}\n`)).toEqual([]);
  });
});

describe('findSecrets: legacy secrets', () => {
  const legacy = `${'A'.repeat(10)}${'b1+/'.repeat(13)}Zz`;

  it('reports a 64-character secret only when asked and only next to a key id or a secret-like name, with low confidence', () => {
    expect(legacy).toHaveLength(64);
    const named = `API_SECRET=${legacy}`;
    const nearKey = `${KEY}:${legacy}`;
    const bare = `sha: ${legacy}`;
    expect(findSecrets(named)).toEqual([]);
    expect(findSecrets(named, { legacy: true })).toEqual([{ line: 1, column: 12, masked: `${legacy.slice(0, 8)}…`, confidence: 'low', encoding: 'plain' }]);
    expect(findSecrets(nearKey, { legacy: true })[0]).toMatchObject({ confidence: 'low', keyId: KEY });
    expect(findSecrets(bare, { legacy: true })).toEqual([]);
    expect(findSecrets(`x=${legacy}A`, { legacy: true })).toEqual([]);
  });
});
