import { type AuditDraft, MANAGEMENT_EVENT_TYPE, type RequestMetadata } from '../audit/cloud-event.js';
import { badField, KeyplaneError } from '../domain/errors.js';
import { checkSecret } from '../domain/secret.js';
import { checkText } from '../domain/text.js';
import { findSecrets } from '../scanner/find-secrets.js';
import type { ApiKey } from '../storage/schema.js';
import { type Caller, listAll, principalName } from './access.js';
import { judgeKey, keyRule } from './api-keys.js';
import { withAuditEvents } from './audit-log.js';
import type { ServiceContext } from './context.js';
import { removeApiKeys } from './key-removal.js';
import { type LeakPolicy, leakPolicyOf } from './organizations.js';

/** Most secrets one report or check may carry. */
export const MAX_LEAKS_PER_REQUEST = 100;

/** Length limits of what a reporter says about where a secret was found, in characters. */
export const leakTextLimits = { url: 2048, source: 200 } as const;

/** The audit log's name for a leak report that found a live key. */
export const REPORT_METHOD = 'ReportLeakedAPIKey';

/** One secret someone found, with where they found it. */
export interface LeakItem {
  secret: string;
  url?: string | undefined;
  source?: string | undefined;
}

/**
 * What a report did with one secret. `not_live` is the one answer for every secret that opens
 * nothing (never issued, deleted, random), so a report tells a stranger nothing about keys.
 */
export type ReportStatus = 'malformed' | 'not_live' | 'revoked' | 'reported';

export interface ReportAnswer {
  index: number;
  status: ReportStatus;
}

export type CheckStatus = 'malformed' | 'not_live' | 'live';

export interface CheckAnswer {
  index: number;
  status: CheckStatus;
  /** Only when the caller may see the key, as `GET /iam/v2/api-keys/{id}` would show it. */
  key?: ApiKey;
}

/**
 * Refuses the whole request when any item's url or source is unacceptable, before anything is
 * done for any item. The detail names the field as `[3].url`; the pointer is `/3/url`.
 */
function checkItems(items: readonly LeakItem[]): void {
  items.forEach((item, index) => {
    for (const field of ['url', 'source'] as const) {
      const value = item[field];
      if (value === undefined) continue;
      try {
        checkText(`[${index}].${field}`, value, leakTextLimits[field]);
      } catch (error) {
        if (error instanceof KeyplaneError) throw badField(`/${index}/${field}`, error.detail);
        throw error;
      }
    }
  });
}

/** Each item's secret when it is well-formed (a checksummed `cflt` secret or a legacy one). */
function wellFormedSecrets(items: readonly LeakItem[]): Array<string | undefined> {
  return items.map((item) => (checkSecret(item.secret).ok ? item.secret : undefined));
}

/**
 * The live key each well-formed secret opens, found by the secret's keyed hash under every pepper
 * (one indexed query for the whole request). Every well-formed secret costs the same whether or
 * not it opens a key: its hashes to look it up and one more with a constant-time comparison,
 * real or a decoy.
 */
async function liveKeys(ctx: ServiceContext, secrets: ReadonlyArray<string | undefined>): Promise<Array<ApiKey | undefined>> {
  const hashes = secrets.map((secret) => (secret === undefined ? [] : ctx.hasher.hashesUnderEveryPepper(secret)));
  const wanted = [...new Set(hashes.flat().map((h) => h.hash))];
  const rows = wanted.length > 0 ? await listAll(ctx.store, 'apiKeys', { secretHash: wanted }) : [];
  const byHash = new Map(rows.map((row) => [`${row.pepperVersion}:${row.secretHash}`, row]));
  return secrets.map((secret, i) => {
    if (secret === undefined) return undefined;
    const row = hashes[i]!.map((h) => byHash.get(`${h.version}:${h.hash}`)).find((r) => r !== undefined);
    if (!row) {
      ctx.hasher.verifyNothing(secret);
      return undefined;
    }
    return ctx.hasher.verify(secret, { hash: row.secretHash, version: row.pepperVersion }) ? row : undefined;
  });
}

const REDACTED = '[redacted]';
/** Redaction passes before a field that still holds a secret is given up as a whole. */
const REDACTION_PASSES = 3;
const BASE64_CHAR = /[A-Za-z0-9+/]/;

/** Where the secret written at `at` ends, plainly or with URL escapes (`%2B`, `%2F`) or JSON's escaped slash; undefined when it is not there. */
function escapedEnd(text: string, at: number, secret: string): number | undefined {
  let i = at;
  for (const ch of secret) {
    if (text[i] === ch) i += 1;
    else if (ch === '/' && text.startsWith('\\/', i)) i += 2;
    else if ((ch === '/' || ch === '+') && text.slice(i, i + 3).toUpperCase() === (ch === '/' ? '%2F' : '%2B')) i += 3;
    else return undefined;
  }
  return i;
}

/** The end of the base64 run that goes on from `at`, with its padding. */
function base64RunEnd(text: string, at: number): number {
  let end = at;
  while (end < text.length && BASE64_CHAR.test(text[end]!)) end += 1;
  const padded = text.startsWith('==', end) ? 2 : text[end] === '=' ? 1 : 0;
  return end + padded;
}

/** The offset of a finding's 1-based line and column. */
function offsetOf(text: string, line: number, column: number): number {
  let start = 0;
  for (let l = 1; l < line; l++) start = text.indexOf('\n', start) + 1;
  return start + column - 1;
}

/**
 * The spans of every secret the scanner finds in `text`, in every encoding it knows (plain, URL
 * escapes, JSON's escaped slash, base64; legacy secrets beside a secret-like name or a key id).
 * A base64 finding takes the whole run it stands in. Undefined when a finding cannot be placed.
 */
function secretSpans(text: string): Array<[number, number]> | undefined {
  const spans: Array<[number, number]> = [];
  // The secrets found only locate their spans; they never leave this function.
  for (const finding of findSecrets(text, { showSecrets: true, legacy: true })) {
    const at = offsetOf(text, finding.line, finding.column);
    const end = finding.encoding === 'base64' ? base64RunEnd(text, at) : escapedEnd(text, at, finding.secret!);
    if (end === undefined || end <= at) return undefined;
    spans.push([at, end]);
  }
  return spans;
}

/** The cores of the secret's three base64 encodings (one per byte alignment): what any base64 text holding it must contain. */
function base64Cores(secret: string): string[] {
  return [0, 1, 2].map((align) => {
    const encoded = btoa('\0'.repeat(align) + secret);
    return encoded.slice(Math.ceil((8 * align) / 6), Math.floor((8 * (align + secret.length)) / 6));
  });
}

/** Where the reported secret stands inside base64 runs (the scanner finds a legacy secret there only beside a name or key id). */
function reportedBase64Spans(text: string, secret: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const core of base64Cores(secret)) {
    for (let q = text.indexOf(core); q !== -1; q = text.indexOf(core, q + 1)) {
      let start = q;
      while (start > 0 && BASE64_CHAR.test(text[start - 1]!)) start -= 1;
      spans.push([start, base64RunEnd(text, q)]);
    }
  }
  return spans;
}

/** The text with each span (merged where they overlap) replaced by `[redacted]`. */
function cut(text: string, spans: ReadonlyArray<[number, number]>): string {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let out = '';
  let last = 0;
  for (const [start, end] of sorted) {
    if (end <= last) continue;
    out += start >= last ? `${text.slice(last, start)}${REDACTED}` : '';
    last = end;
  }
  return out + text.slice(last);
}

/**
 * A reporter's text as the audit log may keep it: the reported secret, written as is, with URL
 * escapes (`%2B`, `%2F`), with JSON's escaped slash or in base64, and every secret the scanner
 * finds in any encoding it knows, become `[redacted]`. What is left is scanned again; a text that
 * still holds a secret after a few passes is kept as `[redacted]` alone.
 */
export function withoutSecrets(text: string, secret: string): string {
  const pattern = [...secret].map((ch) => (ch === '+' ? '(?:\\+|%2B)' : ch === '/' ? '(?:/|\\\\/|%2F)' : ch)).join('');
  let kept = text.replace(new RegExp(pattern, 'gi'), REDACTED);
  kept = cut(kept, reportedBase64Spans(kept, secret));
  for (let pass = 0; pass < REDACTION_PASSES; pass++) {
    const spans = secretSpans(kept);
    if (spans === undefined) return REDACTED;
    if (spans.length === 0) return kept;
    kept = cut(kept, spans);
  }
  return REDACTED;
}

/**
 * How long one report event of a key under the `notify` policy stands for every later report of
 * it. A public endpoint must not let anyone who holds a leaked secret fill the audit log: the log
 * itself (indexed by key id and time, shared by every node) is the marker, so the limit holds
 * across nodes and restarts, and needs no table of its own.
 */
export const REPORT_EVENT_WINDOW_MS = 60 * 60 * 1000;

/** Serialises the check-then-record of `notify` reports, so two nodes cannot both record a key in one window. */
const REPORT_LOCK = 'leak-reports';

function reportEvent(
  ctx: ServiceContext,
  key: ApiKey,
  policy: LeakPolicy,
  action: 'revoked' | 'reported',
  item: LeakItem,
  reporter: RequestMetadata,
): AuditDraft {
  return {
    type: MANAGEMENT_EVENT_TYPE,
    time: ctx.now().getTime(),
    // The key the event is about, so that the report window is one indexed look-up. Usage
    // queries count authentication events only, so a report never reads as the key being used.
    keyId: key.id,
    data: {
      serviceName: ctx.crn.organization(),
      methodName: REPORT_METHOD,
      resourceName: ctx.crn.apiKey(key.id),
      // The reporter is anyone who holds the secret: no principal, no key of theirs.
      authenticationInfo: { metadata: { mechanism: 'NONE' } },
      requestMetadata: reporter,
      request: {
        method: 'POST',
        path: '/v1/leaks',
        leak: {
          keyId: key.id,
          owner: principalName(key.ownerId),
          policy,
          action,
          ...(item.source === undefined ? {} : { source: withoutSecrets(item.source, item.secret) }),
          ...(item.url === undefined ? {} : { url: withoutSecrets(item.url, item.secret) }),
        },
      },
      result: { status: 'SUCCESS', httpStatus: 200 },
    },
  };
}


interface LiveReport {
  key: ApiKey;
  item: LeakItem;
}

/**
 * Applies the organization's policy to every live key of a request, in one transaction with its
 * events: a revocation is never without its event, nor the reverse. `revoke` deletes the keys
 * (`not_live` for a key another request removed first) and records each; `notify` leaves them
 * and records each key not already recorded within REPORT_EVENT_WINDOW_MS.
 */
async function actOn(ctx: ServiceContext, live: readonly LiveReport[], reporter: RequestMetadata): Promise<ReportStatus[]> {
  return withAuditEvents(ctx, async (tx) => {
    const policy = leakPolicyOf(await tx.get('organizations', ctx.orgId));
    let statuses: ReportStatus[];
    let drafts: AuditDraft[];
    if (policy === 'revoke') {
      const removed = new Set(await removeApiKeys(ctx, tx, { anyOf: live.map(({ key }) => ({ id: key.id, secretHash: key.secretHash })) }));
      statuses = live.map(({ key }) => (removed.has(key.id) ? 'revoked' : 'not_live'));
      drafts = live.filter(({ key }) => removed.has(key.id)).map(({ key, item }) => reportEvent(ctx, key, policy, 'revoked', item, reporter));
    } else {
      statuses = live.map(() => 'reported');
      drafts = [];
      if (ctx.audit) {
        await tx.lock(REPORT_LOCK);
        const since = new Date(ctx.now().getTime() - REPORT_EVENT_WINDOW_MS).toISOString();
        const recorded = await listAll(tx, 'auditEvents', { keyId: live.map(({ key }) => key.id), method: REPORT_METHOD, since: { createdAt: since } });
        const seen = new Set(recorded.map((event) => event.keyId));
        drafts = live.filter(({ key }) => !seen.has(key.id)).map(({ key, item }) => reportEvent(ctx, key, policy, 'reported', item, reporter));
      }
    }
    return { result: statuses, drafts };
  });
}

/**
 * A report of leaked secrets, from anyone: each secret of a live key is dealt with by the
 * organization's leak policy (`revoke`: deleted at once on every node; `notify`: left working)
 * and recorded in the audit log (under `notify`, once per key per REPORT_EVENT_WINDOW_MS).
 * Nothing is recorded for secrets that open nothing. Copies of a secret in one request are one
 * report: each copy gets the first copy's answer, and the first copy's url and source are kept.
 * Answers are in the items' order.
 */
export async function reportLeaks(ctx: ServiceContext, items: readonly LeakItem[], reporter: RequestMetadata): Promise<ReportAnswer[]> {
  checkItems(items);
  const firstCopy = new Map<string, number>();
  const unique: LeakItem[] = [];
  const copyOf = items.map((item) => {
    let at = firstCopy.get(item.secret);
    if (at === undefined) {
      at = unique.push(item) - 1;
      firstCopy.set(item.secret, at);
    }
    return at;
  });
  const secrets = wellFormedSecrets(unique);
  const keys = await liveKeys(ctx, secrets);
  const statuses: ReportStatus[] = secrets.map((secret) => (secret === undefined ? 'malformed' : 'not_live'));
  const live = unique.flatMap((item, at) => (keys[at] ? [{ at, report: { key: keys[at], item } }] : []));
  if (live.length > 0) {
    const acted = await actOn(
      ctx,
      live.map(({ report }) => report),
      reporter,
    );
    live.forEach(({ at }, i) => {
      statuses[at] = acted[i]!;
    });
  }
  return items.map((_, index) => ({ index, status: statuses[copyOf[index]!]! }));
}

/**
 * Whether each secret opens a live key, changing nothing: no key is marked used, no
 * authentication is recorded. The key is named only to a caller who may manage it, as
 * `GET /iam/v2/api-keys/{id}` decides.
 */
export async function checkLeaks(ctx: ServiceContext, caller: Caller, items: readonly LeakItem[]): Promise<CheckAnswer[]> {
  checkItems(items);
  const secrets = wellFormedSecrets(items);
  const keys = await liveKeys(ctx, secrets);
  const rule = keys.some(Boolean) ? keyRule(ctx, caller) : undefined;
  return items.map((_, index): CheckAnswer => {
    const key = keys[index];
    if (secrets[index] === undefined) return { index, status: 'malformed' };
    if (!key) return { index, status: 'not_live' };
    return rule && judgeKey(rule, key).allowed ? { index, status: 'live', key } : { index, status: 'live' };
  });
}
