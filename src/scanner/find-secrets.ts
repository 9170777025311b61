import { isChecksummedSecret, SECRET_LENGTH, SECRET_PREFIX } from '../domain/secret.js';

/**
 * The scanning core: finds Keyplane API secrets in text. Pure: no I/O, and secrets are masked
 * unless asked for. A `cflt` secret counts only when its CRC-32 checksum validates, so near misses
 * (one character changed, another body's checksum, a wrong prefix) are never reported.
 *
 * Layers decoded, each reported as the finding's `encoding`:
 * - `plain`: the secret as is, with no word boundaries required around it;
 * - `url`: URL escapes of `+` and `/` (`%2B`, `%2F`, either case);
 * - `json`: JSON's escaped slash (`\/`);
 * - `base64`: standard base64 (`A-Za-z0-9+/`), as in a base64-wrapped config blob, on one line or
 *   wrapped over several (as `base64` and `openssl base64` write it). Only the runs holding one
 *   of the three encodings of `cflt` (one per byte alignment) are decoded, and only 256
 *   characters from there (enough for a secret with every character escaped), so the work stays
 *   bounded; inside, the plain, URL and JSON layers are checked. The finding points at the start
 *   of the base64 run (looked for up to 1 MiB back). Not found: a secret whose encoded `cflt` is
 *   cut by a line wrap (about 1 in 20 in blobs wrapped at 76 columns), URL-safe base64 (`-_`),
 *   base64 inside base64.
 */

export interface SecretFinding {
  /** 1-based line and column of the secret's first character in the text as given. */
  line: number;
  column: number;
  /** The first 8 characters and an ellipsis. */
  masked: string;
  /** The whole secret; only with `showSecrets`. */
  secret?: string;
  /** `high`: a checksummed `cflt` secret. `low`: a legacy 64-character secret next to a key id or a secret-like name. */
  confidence: 'high' | 'low';
  /** How the secret was written: as is, with URL escapes (`%2B`, `%2F`), with JSON's escaped slash (`\/`), or inside a base64 run. */
  encoding: 'plain' | 'url' | 'json' | 'base64';
  /** An API key id (16 of A-Z0-9) on the same line or the lines next to it, when one stands there. */
  keyId?: string;
}

export interface FindOptions {
  /** Return the secrets themselves, not only their masked form. */
  showSecrets?: boolean;
  /** Also report legacy 64-character secrets that stand next to a key id or a secret-like name. */
  legacy?: boolean;
}

const KEY_ID_RE = /(?<![A-Za-z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])/g;
const SECRET_NAME_RE = /secret|password|passwd|api[_-]?key|credential/i;
const MASK_LENGTH = 8;

/** Where each line starts, to turn offsets into line and column. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** A key id near the line: on it first, then the line before, then the one after. */
function nearbyKeyId(text: string, starts: readonly number[], line: number): string | undefined {
  for (const l of [line, line - 1, line + 1]) {
    if (l < 0 || l >= starts.length) continue;
    const end = l + 1 < starts.length ? starts[l + 1]! : text.length;
    for (const match of text.slice(starts[l]!, end).matchAll(KEY_ID_RE)) {
      // A key id has letters and digits both; an all-letter word of 16 capitals is not one.
      if (/[0-9]/.test(match[0]) && /[A-Z]/.test(match[0])) return match[0];
    }
  }
  return undefined;
}

interface Decoded {
  text: string;
  /** The offset in the original text of each character of `text`. */
  origin: number[];
}

/**
 * The text with one layer of encoding taken off, keeping where each character came from; only
 * the escapes that can hide a secret's `+` and `/` are decoded.
 */
function decode(text: string, encoding: 'url' | 'json'): Decoded | undefined {
  const re = encoding === 'url' ? /%2[BbFf]/g : /\\\//g;
  if (!re.test(text)) return undefined;
  re.lastIndex = 0;
  let out = '';
  const origin: number[] = [];
  let last = 0;
  for (const match of text.matchAll(re)) {
    for (let i = last; i < match.index; i++) origin.push(i);
    out += text.slice(last, match.index);
    out += match[0] === '\\/' || match[0].toUpperCase() === '%2F' ? '/' : '+';
    origin.push(match.index);
    last = match.index + match[0].length;
  }
  for (let i = last; i < text.length; i++) origin.push(i);
  out += text.slice(last);
  return { text: out, origin };
}

/**
 * Offsets of every checksummed secret in `text`. No word boundaries are required (`+` and `/`
 * are in the alphabet, so a secret may touch a URL path), and a candidate that fails is searched
 * again from its next character: a stray `cflt` just before a real secret must not hide it.
 */
function checksummedAt(text: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(SECRET_PREFIX); i !== -1; ) {
    if (i + SECRET_LENGTH <= text.length && isChecksummedSecret(text.slice(i, i + SECRET_LENGTH))) {
      found.push(i);
      i = text.indexOf(SECRET_PREFIX, i + SECRET_LENGTH);
    } else {
      i = text.indexOf(SECRET_PREFIX, i + 1);
    }
  }
  return found;
}

/** Legacy secrets: runs of exactly 64 alphabet characters, not starting with the prefix. */
function legacyAt(text: string): number[] {
  const found: number[] = [];
  for (const match of text.matchAll(/(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{64}(?![A-Za-z0-9+/])/g)) {
    if (!match[0].startsWith(SECRET_PREFIX)) found.push(match.index);
  }
  return found;
}

const BASE64_CHAR = /[A-Za-z0-9+/]/;
/** Decoded bytes enough for a secret with every character URL-escaped (3 bytes each), in base64 characters. */
export const BASE64_WINDOW = 256;
/** How far back from a secret the start of its base64 run is looked for; past it, the secret's own group is reported. */
export const BASE64_RUN_CAP = 1 << 20;

/**
 * The base64 characters that encode `cflt` whatever the 0–2 bytes before it: `at` is the
 * prefix's byte offset modulo 3, and `first` the index of the marker's first character within
 * the encoding that starts at that byte boundary.
 */
const BASE64_PREFIXES = [0, 1, 2].map((at) => {
  const encoded = btoa('\0'.repeat(at) + SECRET_PREFIX);
  const first = Math.ceil((8 * at) / 6);
  const last = Math.floor((8 * at + 8 * SECRET_PREFIX.length) / 6);
  return { at, first, marker: encoded.slice(first, last) };
});

/**
 * The strings whose absence from a text means `findSecrets` finds nothing in it without
 * `legacy`: the prefix, and its three base64 encodings.
 */
export const CANDIDATE_MARKERS: readonly string[] = [SECRET_PREFIX, ...BASE64_PREFIXES.map((p) => p.marker)];

/** The secret that starts at `at`, written plainly or with one kind of escape. */
function secretStartingAt(text: string, at: number): string | undefined {
  const plain = text.slice(at, at + SECRET_LENGTH);
  if (isChecksummedSecret(plain)) return plain;
  const window = text.slice(at, at + 3 * SECRET_LENGTH);
  for (const encoding of ['url', 'json'] as const) {
    const candidate = decode(window, encoding)?.text.slice(0, SECRET_LENGTH);
    if (candidate && isChecksummedSecret(candidate)) return candidate;
  }
  return undefined;
}

interface LineSpan {
  start: number;
  /** Where the content starts, after the indentation (spaces and tabs). */
  content: number;
  /** Where the content ends, before `\r\n` or `\n`. */
  end: number;
  /** Where the next line starts; -1 on the last line. */
  next: number;
}

function lineAt(text: string, offset: number): LineSpan {
  const start = offset === 0 ? 0 : text.lastIndexOf('\n', offset - 1) + 1;
  const newline = text.indexOf('\n', offset);
  let end = newline === -1 ? text.length : newline;
  if (end > start && text[end - 1] === '\r') end--;
  let content = start;
  while (content < end && (text[content] === ' ' || text[content] === '\t')) content++;
  return { start, content, end, next: newline === -1 ? -1 : newline + 1 };
}

/** A line of wrapped base64: nothing but base64 after the indentation, padding at most at its end. */
const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;
/** A line that another line of the same blob follows: full groups, no padding, not a lone word. */
const BASE64_FULL_LINE = /^(?:[A-Za-z0-9+/]{4}){4,}$/;

/**
 * Secrets inside base64 runs, in the order they stand: the offset of the run's start and the
 * decoded secret. A run is the base64 around a marker on its line; when that line is all base64,
 * the run goes on over the lines of the same wrapped blob before and after it (an earlier line
 * joins when it holds whole 4-character groups, at least 16 characters, and no padding).
 */
function base64At(text: string): { offset: number; secret: string }[] {
  const found: { offset: number; secret: string; group: number }[] = [];
  for (const { at, first, marker } of BASE64_PREFIXES) {
    for (let q = text.indexOf(marker); q !== -1; q = text.indexOf(marker, q + 1)) {
      const line = lineAt(text, q);
      const wrapped = BASE64_LINE.test(text.slice(line.content, line.end));
      let start = q;
      while (start > line.content && q - start < BASE64_RUN_CAP && BASE64_CHAR.test(text[start - 1]!)) start--;
      let capped = q - start >= BASE64_RUN_CAP;
      // The characters of the marker's 4-character group that stand before it, and where the group starts.
      let before = text.slice(Math.max(start, q - first), q);
      let group = q - before.length;
      for (let above = line; wrapped && !capped && start === above.content && above.start > 0; ) {
        const previous = lineAt(text, above.start - 1);
        if (!BASE64_FULL_LINE.test(text.slice(previous.content, previous.end))) break;
        if (q - previous.content >= BASE64_RUN_CAP) capped = true;
        else start = previous.content;
        if (before.length < first) {
          const take = Math.min(first - before.length, previous.end - previous.content);
          before = text.slice(previous.end - take, previous.end) + before;
          group = previous.end - take;
        }
        above = previous;
      }
      if (before.length < first) continue;
      let chars = before;
      let end = q;
      while (end < line.end && chars.length + (end - q) < BASE64_WINDOW && BASE64_CHAR.test(text[end]!)) end++;
      chars += text.slice(q, end);
      for (let below = line; wrapped && end === below.end && chars.length < BASE64_WINDOW && below.next !== -1; ) {
        below = lineAt(text, below.next);
        const content = text.slice(below.content, below.end);
        if (!BASE64_LINE.test(content)) break;
        const run = content.replace(/=+$/, '');
        chars += run.slice(0, BASE64_WINDOW - chars.length);
        end = below.content + run.length;
      }
      const secret = secretStartingAt(atob(chars.slice(0, chars.length - (chars.length % 4 === 1 ? 1 : 0))), at);
      if (secret) found.push({ offset: capped ? group : start, secret, group });
    }
  }
  return found.sort((a, b) => a.group - b.group);
}

export function findSecrets(text: string, options: FindOptions = {}): SecretFinding[] {
  // Every finding but a legacy one holds the prefix or one of its base64 encodings; escapes
  // (`%2B`, `%2F`, `\/`) never stand inside `cflt`, so decoding cannot make one appear.
  if (!options.legacy && !CANDIDATE_MARKERS.some((marker) => text.includes(marker))) return [];
  const starts = lineStarts(text);
  const findings: SecretFinding[] = [];
  // The same secret can surface through several layers; two secrets can share a base64 run's offset.
  const seen = new Set<string>();
  const report = (offset: number, secret: string, confidence: SecretFinding['confidence'], encoding: SecretFinding['encoding'], keyId: string | undefined) => {
    const key = `${offset}:${secret}`;
    if (seen.has(key)) return;
    seen.add(key);
    const line = lineOf(starts, offset);
    findings.push({
      line: line + 1,
      column: offset - starts[line]! + 1,
      masked: `${secret.slice(0, MASK_LENGTH)}…`,
      ...(options.showSecrets ? { secret } : {}),
      confidence,
      encoding,
      ...(keyId ? { keyId } : {}),
    });
  };

  for (const offset of checksummedAt(text)) {
    report(offset, text.slice(offset, offset + SECRET_LENGTH), 'high', 'plain', nearbyKeyId(text, starts, lineOf(starts, offset)));
  }
  for (const encoding of text.includes(SECRET_PREFIX) ? (['url', 'json'] as const) : []) {
    const decoded = decode(text, encoding);
    if (!decoded) continue;
    for (const at of checksummedAt(decoded.text)) {
      const offset = decoded.origin[at]!;
      report(offset, decoded.text.slice(at, at + SECRET_LENGTH), 'high', encoding, nearbyKeyId(text, starts, lineOf(starts, offset)));
    }
  }
  for (const { offset, secret } of base64At(text)) {
    report(offset, secret, 'high', 'base64', nearbyKeyId(text, starts, lineOf(starts, offset)));
  }
  if (options.legacy) {
    for (const offset of legacyAt(text)) {
      const line = lineOf(starts, offset);
      const keyId = nearbyKeyId(text, starts, line);
      const lineText = text.slice(starts[line]!, line + 1 < starts.length ? starts[line + 1]! : text.length);
      // Alone, 64 base64 characters are as likely a hash or a blob: only a key id or a name beside them says secret.
      if (keyId || SECRET_NAME_RE.test(lineText)) report(offset, text.slice(offset, offset + SECRET_LENGTH), 'low', 'plain', keyId);
    }
  }
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}
