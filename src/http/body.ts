import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { z } from 'zod';
import { type ErrorCode, KeyplaneError } from '../domain/errors.js';
import type { AppEnv } from './types.js';

const JSON_TYPE_RE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

/**
 * Reads a JSON body that must be an object (or, with `array`, an array), holding no NUL anywhere.
 * `shape` describes what is expected when the body is of the wrong kind. Errors name the field as
 * a JSON pointer and never echo the body (it may hold a secret).
 */
export async function readJsonValue(c: Context<AppEnv>, kind: 'object' | 'array', shape = `a JSON ${kind}`): Promise<unknown> {
  const type = c.req.header('content-type');
  if (type && !JSON_TYPE_RE.test(type)) {
    throw new KeyplaneError('unsupported_media_type', 'The request body must be JSON (Content-Type: application/json)');
  }
  const text = await bodyText(c);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeyplaneError('invalid_json', text.trim() === '' ? `The request body is empty; a JSON ${kind} is required` : 'The request body is not valid JSON');
  }
  const isArray = Array.isArray(value);
  if (typeof value !== 'object' || value === null || isArray !== (kind === 'array')) {
    throw new KeyplaneError('bad_request', `The request body must be ${shape}`, { source: { pointer: '' } });
  }
  const nul = findNul(value, '');
  if (nul !== undefined) {
    throw new KeyplaneError('bad_request', `${nul || 'body'}: text may not contain NUL characters`, { source: { pointer: nul } });
  }
  return value;
}

/** Reads a JSON object body and checks it against a schema (see readJsonValue). */
export async function readJson<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.output<S>> {
  const value = await readJsonValue(c, 'object');
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const pointer = issue.path.map((p) => `/${escapePointer(String(p))}`).join('');
    throw new KeyplaneError('bad_request', `${pointer || 'body'}: ${issue.message}`, { source: { pointer } });
  }
  return parsed.data;
}

const utf8 = new TextDecoder();

/**
 * The body as text, refused past the configured size whether or not Content-Length says so.
 * Over HTTP it is read straight from Node's request: the web Request and stream the framework
 * would build for it cost more than the rest of a small request together.
 */
/** Each request's body, read once: the audit log reads it before the handler does. */
const bodies = new WeakMap<Request, Promise<string>>();

/** The request body as text, read (and counted against the limit) once however often it is asked for. */
export function bodyText(c: Context<AppEnv>): Promise<string> {
  let body = bodies.get(c.req.raw);
  if (!body) {
    body = readBodyText(c);
    bodies.set(c.req.raw, body);
  }
  return body;
}

async function readBodyText(c: Context<AppEnv>): Promise<string> {
  const max = c.get('http').maxBodyBytes;
  const tooLarge = () => new KeyplaneError('payload_too_large', `The request body is larger than ${max} bytes`);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) {
    const text = await c.req.text();
    if (Buffer.byteLength(text) > max) throw tooLarge();
    return text;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw tooLarge();
    chunks.push(chunk);
  }
  // As fetch's text() reads it: UTF-8, a byte-order mark dropped.
  return utf8.decode(Buffer.concat(chunks, size));
}

/** A query parameter's value; absent and empty both mean "no filter". */
export function queryParam(c: Context<AppEnv>, name: string): string | undefined {
  const value = c.req.query(name)?.trim();
  return value ? value : undefined;
}

/**
 * A `true` or `false` query parameter (in any case with `anyCase`); absent means false. Any other
 * value is refused with `code`, naming the parameter.
 */
export function booleanParam(
  c: Context<AppEnv>,
  name: string,
  { code = 'bad_request', anyCase = false }: { code?: ErrorCode; anyCase?: boolean } = {},
): boolean {
  const text = queryParam(c, name);
  const value = anyCase ? text?.toLowerCase() : text;
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new KeyplaneError(code, `${name} must be true or false`, { source: { parameter: name } });
}

/** Every non-empty value of a repeatable query parameter. */
export function queryParams(c: Context<AppEnv>, name: string): string[] {
  return (c.req.queries(name) ?? []).map((v) => v.trim()).filter(Boolean);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The JSON pointer of the first string (value or member name) holding NUL, if any. */
function findNul(value: unknown, pointer: string): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? pointer : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [name, member] of Object.entries(value)) {
    const at = `${pointer}/${escapePointer(name)}`;
    if (name.includes('\0')) return at;
    const found = findNul(member, at);
    if (found !== undefined) return found;
  }
  return undefined;
}
