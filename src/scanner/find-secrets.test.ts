import { describe, expect, it } from 'vitest';
import { newSecret, SECRET_ALPHABET, secretChecksum } from '../domain/secret.js';
import { CANDIDATE_MARKERS, findSecrets } from './find-secrets.js';

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

describe('findSecrets: base64 layer', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');

  it('finds a secret at each byte alignment inside a base64 run, reported at the start of the run', () => {
    for (const before of ['', 'x', 'xy', 'xyz']) {
      const s = secret(20 + before.length);
      const blob = b64(`${before}${s}\n`);
      const text = `data:\n  config: ${blob}\n`;
      expect(findSecrets(text, { showSecrets: true }), before).toEqual([
        { line: 2, column: 11, masked: `${s.slice(0, 8)}…`, secret: s, confidence: 'high', encoding: 'base64' },
      ]);
    }
  });

  it('decodes URL escapes and JSON escaped slashes inside the run', () => {
    let s = secret(30);
    for (let seed = 31; !(s.includes('+') && s.includes('/')); seed++) s = secret(seed);
    const url = b64(`https://h/?secret=${encodeURIComponent(s)}`);
    const json = b64(`{"secret":"${s.replaceAll('/', '\\/')}"}`);
    expect(findSecrets(`a: ${url}\nb: ${json}`, { showSecrets: true }).map((f) => [f.line, f.column, f.encoding, f.secret])).toEqual([
      [1, 4, 'base64', s],
      [2, 4, 'base64', s],
    ]);
  });

  it('reports two secrets in one run, both at its start, and the key id beside the run', () => {
    const [a, b] = [secret(40), secret(41)];
    const text = `key: ${KEY}\nblob: ${b64(`A=${a}\nB=${b}\n`)}`;
    const found = findSecrets(text, { showSecrets: true });
    expect(found.map((f) => [f.line, f.column, f.secret, f.keyId])).toEqual([
      [2, 7, a, KEY],
      [2, 7, b, KEY],
    ]);
  });

  it('reads base64 wrapped over lines, indented or not, with CRLF line ends, reported where the blob starts', () => {
    const s = secret(50);
    const blob = b64(`${'#'.repeat(100)}\nsecret=${s}\n`);
    const lines = blob.match(/.{1,76}/g)!;
    expect(lines.length).toBeGreaterThan(2);
    // The secret's encoded prefix must not be cut by a wrap, which the scanner does not undo.
    expect(lines.some((line) => CANDIDATE_MARKERS.slice(1).some((m) => line.includes(m)))).toBe(true);
    const yaml = `data:\n  config: |\n${lines.map((l) => `    ${l}`).join('\r\n')}\r\nnext: 1\n`;
    expect(findSecrets(yaml, { showSecrets: true }).map((f) => [f.line, f.column, f.encoding, f.secret])).toEqual([[3, 5, 'base64', s]]);
    // A short word on the line before is not part of the blob.
    expect(findSecrets(`EOF\n${lines.join('\n')}`).map((f) => [f.line, f.column])).toEqual([[2, 1]]);
  });

  it('reports a secret past the run-length cap at its own base64 group', () => {
    const s = secret(42);
    const padding = 'A'.repeat((1 << 20) + 4);
    const text = `${padding}${b64(s)}`;
    expect(findSecrets(text).map((f) => f.column)).toEqual([padding.length + 1]);
  });

  it('reports no near miss inside base64, nor a secret cut short by the end of the run', () => {
    const s = secret(43);
    const changed = `${s.slice(0, 40)}${SECRET_ALPHABET[(SECRET_ALPHABET.indexOf(s[40]!) + 1) % 64]}${s.slice(41)}`;
    expect(findSecrets(`x: ${b64(changed)}`)).toEqual([]);
    expect(findSecrets(`x: ${b64(s).slice(0, 80)}`)).toEqual([]);
    // A line that is not all base64 does not continue on the next one.
    expect(findSecrets(`x: ${b64(s).slice(0, 40)}\n${b64(s).slice(40)}`)).toEqual([]);
  });

  it('holds the three base64 encodings of the prefix among the candidate markers, one per alignment', () => {
    expect(CANDIDATE_MARKERS[0]).toBe('cflt');
    for (const before of ['', 'x', 'xy']) {
      const encoded = b64(`${before}cflt${'z'.repeat(6)}`);
      expect(CANDIDATE_MARKERS.slice(1).filter((marker) => encoded.includes(marker)), before).toHaveLength(1);
    }
  });
});
