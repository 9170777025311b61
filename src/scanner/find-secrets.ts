import { isChecksummedSecret, SECRET_LENGTH, SECRET_PREFIX } from '../domain/secret.js';

/**
 * The scanning core: finds Keyplane API secrets in text. Pure: no I/O, and secrets are masked
 * unless asked for. A `cflt` secret counts only when its CRC-32 checksum validates, so near misses
 * (one character changed, another body's checksum, a wrong prefix) are never reported.
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
  /** How the secret was written: as is, with URL escapes (`%2B`, `%2F`), or with JSON's escaped slash (`\/`). */
  encoding: 'plain' | 'url' | 'json';
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

export function findSecrets(text: string, options: FindOptions = {}): SecretFinding[] {
  const starts = lineStarts(text);
  const findings: SecretFinding[] = [];
  const seen = new Set<number>();
  const report = (offset: number, secret: string, confidence: SecretFinding['confidence'], encoding: SecretFinding['encoding'], keyId: string | undefined) => {
    if (seen.has(offset)) return;
    seen.add(offset);
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
  for (const encoding of ['url', 'json'] as const) {
    const decoded = decode(text, encoding);
    if (!decoded) continue;
    for (const at of checksummedAt(decoded.text)) {
      const offset = decoded.origin[at]!;
      report(offset, decoded.text.slice(at, at + SECRET_LENGTH), 'high', encoding, nearbyKeyId(text, starts, lineOf(starts, offset)));
    }
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
