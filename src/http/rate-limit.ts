import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { DEFAULT_LEAK_REPORTS_PER_MINUTE, type RateLimitSettings } from '../config.js';
import { KeyplaneError } from '../domain/errors.js';
import {
  type BucketLimits,
  fullBucket,
  giveBack,
  isFull,
  refill,
  remaining,
  secondsUntilFull,
  secondsUntilToken,
  type TokenBucket,
  take,
} from '../domain/token-bucket.js';
import type { AppEnv } from './types.js';

/** Most buckets one map holds, so that random key ids or addresses cannot exhaust memory. */
export const MAX_BUCKETS = 100_000;
/** How often buckets that are full again are dropped, in milliseconds. */
const SWEEP_INTERVAL_MS = 60_000;

interface Reservations {
  count: number;
  /** Settles at the next release; replaced at each. */
  released: Promise<void>;
  wake: () => void;
}

/**
 * Named token buckets, bounded. A bucket that is full again is the same as no bucket: it is
 * dropped when it is next updated, and by a sweep once a minute. The names are held in two
 * generations of at most half of `maxEntries` each: when the newer fills, the older is dropped
 * whole, forgetting (and so forgiving) the buckets not touched for the longest. Apart from the
 * sweep, every operation takes constant time (a Map walked from its oldest end while entries are
 * deleted there does not: it steps over the deleted ones).
 */
export class BucketMap {
  private recent = new Map<string, TokenBucket>();
  private older = new Map<string, TokenBucket>();
  private readonly generationSize: number;
  private lastSweep: number | undefined;
  /** Reservations not yet released, by name; an entry lives only while some are held. */
  private readonly reservations = new Map<string, Reservations>();

  constructor(
    readonly limits: BucketLimits,
    maxEntries = MAX_BUCKETS,
  ) {
    this.generationSize = Math.max(1, Math.floor(maxEntries / 2));
  }

  get size(): number {
    return this.recent.size + this.older.size;
  }

  /** The bucket as it stands at `now`; changes nothing. */
  peek(name: string, now: number): TokenBucket {
    const bucket = this.recent.get(name) ?? this.older.get(name);
    return bucket ? refill(bucket, this.limits, now) : fullBucket(this.limits, now);
  }

  /** Whether a token is there to take; allocates nothing for a name with no bucket (a full one). */
  hasToken(name: string, now: number): boolean {
    const bucket = this.recent.get(name) ?? this.older.get(name);
    return bucket === undefined || remaining(refill(bucket, this.limits, now)) >= 1;
  }

  /** Takes one token if there is one. */
  take(name: string, now: number): { allowed: boolean; bucket: TokenBucket } {
    const result = take(this.peek(name, now), this.limits, now);
    this.store(name, result.bucket, now);
    return result;
  }

  /** Takes one token, if there is one, until `release` says whether it stays taken. */
  reserve(name: string, now: number): { allowed: boolean; bucket: TokenBucket } {
    const result = this.take(name, now);
    if (result.allowed) {
      let entry = this.reservations.get(name);
      if (!entry) {
        entry = { count: 0, ...wakeable() };
        this.reservations.set(name, entry);
      }
      entry.count++;
    }
    return result;
  }

  /** Ends a granted reservation: its token stays taken, or goes back. */
  release(name: string, now: number, { keep }: { keep: boolean }): void {
    if (!keep) this.store(name, giveBack(this.peek(name, now), this.limits, now), now);
    const entry = this.reservations.get(name);
    if (!entry) return;
    entry.count--;
    if (entry.count === 0) this.reservations.delete(name);
    const { wake } = entry;
    Object.assign(entry, wakeable());
    wake();
  }

  /** Settles at the next release of a reservation of `name`; undefined when none is held. */
  pending(name: string): Promise<void> | undefined {
    return this.reservations.get(name)?.released;
  }

  private store(name: string, bucket: TokenBucket, now: number): void {
    this.older.delete(name);
    if (isFull(bucket, this.limits)) this.recent.delete(name);
    else {
      if (this.recent.size >= this.generationSize && !this.recent.has(name)) {
        this.older = this.recent;
        this.recent = new Map();
      }
      this.recent.set(name, bucket);
    }
    if (this.lastSweep === undefined || now - this.lastSweep >= SWEEP_INTERVAL_MS || now < this.lastSweep) {
      this.lastSweep = now;
      // Copied rather than deleted in place, which keeps the maps compact.
      this.recent = this.notFull(this.recent, now);
      this.older = this.notFull(this.older, now);
    }
  }

  private notFull(buckets: Map<string, TokenBucket>, now: number): Map<string, TokenBucket> {
    const kept = new Map<string, TokenBucket>();
    for (const [name, bucket] of buckets) if (!isFull(refill(bucket, this.limits, now), this.limits)) kept.set(name, bucket);
    return kept;
  }
}

function wakeable(): { released: Promise<void>; wake: () => void } {
  let wake!: () => void;
  const released = new Promise<void>((resolve) => {
    wake = resolve;
  });
  return { released, wake };
}

/** Failed authentications by key id and by source address. */
export interface FailureBuckets {
  readonly failuresByKey: BucketMap;
  readonly failuresByAddress: BucketMap;
}

/** One node's buckets: counted in memory, so each of several nodes limits only what it serves. */
export class RateLimits implements FailureBuckets {
  /** Requests of each authenticated principal. */
  readonly principals: BucketMap;
  /** Requests that did not authenticate, by source address; the same limits as a principal's. */
  readonly addresses: BucketMap;
  /** Failed authentications by key id. */
  readonly failuresByKey: BucketMap;
  /** Failed authentications by source address. */
  readonly failuresByAddress: BucketMap;
  /** The data plane's verifiers' own failures: apart, so that no client can use them up. */
  readonly verifiers: FailureBuckets;
  /** Leak reports (`POST /v1/leaks`, which needs no credentials) by source address. */
  readonly leakReports: BucketMap;

  constructor(settings: RateLimitSettings, maxEntries = MAX_BUCKETS) {
    const requests = { capacity: settings.burst, perMinute: settings.requestsPerMinute };
    this.principals = new BucketMap(requests, maxEntries);
    this.addresses = new BucketMap(requests, maxEntries);
    const perKey = settings.authFailuresPerKeyPerMinute;
    this.failuresByKey = new BucketMap({ capacity: perKey, perMinute: perKey }, maxEntries);
    const perAddress = settings.authFailuresPerAddressPerMinute;
    this.failuresByAddress = new BucketMap({ capacity: perAddress, perMinute: perAddress }, maxEntries);
    this.verifiers = {
      failuresByKey: new BucketMap(this.failuresByKey.limits, maxEntries),
      failuresByAddress: new BucketMap(this.failuresByAddress.limits, maxEntries),
    };
    const leaks = settings.leakReportsPerMinute ?? DEFAULT_LEAK_REPORTS_PER_MINUTE;
    this.leakReports = new BucketMap({ capacity: leaks, perMinute: leaks }, maxEntries);
  }
}

/** The bucket a request was counted against, as it stood after counting. */
export interface RateLimitState {
  limits: BucketLimits;
  bucket: TokenBucket;
}

/**
 * Outermost rate-limit middleware: hands the node's buckets to the request and puts the
 * X-RateLimit-* headers of the bucket it was counted against on every response. A request
 * answered before any route counted it (a body too large, a NUL in the path) is counted against
 * its address then, and not refused for it.
 */
export function rateLimiting(limits: RateLimits): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('rateLimits', limits);
    await next();
    // The data plane carries its resources' traffic: only its failed authentications are limited.
    if (c.get('rateLimit') !== undefined || DATA_PLANE_PATHS.has(c.req.path)) return;
    count(c, limits.addresses, sourceAddress(c));
  };
}

/** The X-RateLimit-* headers of the bucket a request was counted against; the last count wins. */
function limitHeaders(c: Context<AppEnv>, state: RateLimitState): void {
  c.header('X-RateLimit-Limit', String(state.limits.capacity));
  c.header('X-RateLimit-Remaining', String(remaining(state.bucket)));
  c.header('X-RateLimit-Reset', String(secondsUntilFull(state.bucket, state.limits)));
}

/** The data plane's endpoints. */
export const DATA_PLANE_PATHS: ReadonlySet<string> = new Set(['/v1/verify', '/v1/auth/nginx']);

/** For routes that need no credentials: counts the request against its source address. */
export const limitByAddress: MiddlewareHandler<AppEnv> = async (c, next) => {
  limitAddress(c);
  await next();
};

/** Counts a request that did not authenticate against its source address; 429 when that is spent. */
export function limitAddress(c: Context<AppEnv>): void {
  const { allowed, state } = count(c, c.get('rateLimits').addresses, sourceAddress(c));
  if (!allowed) throw tooManyRequests('Too many requests from this address', state);
}

/** Counts an authenticated request against its principal, whichever of its keys it used. */
export function limitPrincipal(c: Context<AppEnv>, principalId: string): void {
  const { allowed, state } = count(c, c.get('rateLimits').principals, principalId);
  if (!allowed) throw tooManyRequests(`Too many requests by ${principalId}`, state);
}

/** Counts a leak report against its source address in a bucket of its own; 429 when that is spent. */
export function limitLeakReports(c: Context<AppEnv>): void {
  const { allowed, state } = count(c, c.get('rateLimits').leakReports, sourceAddress(c));
  if (!allowed) throw tooManyRequests('Too many leak reports from this address', state);
}

/** An authentication attempt holding a token of each of its failure buckets until its outcome is known. */
export interface AuthenticationAttempt {
  /** A failed attempt keeps its tokens; any other outcome (success, an error) gives them back. */
  finish(outcome: { failed: boolean }): void;
}

/**
 * Takes, before a secret is checked, one failed authentication from the source address and, for
 * a well-formed key id, from the key id: a 429 when either has none left, so no guess is
 * evaluated. Taking before checking keeps concurrent guesses inside the limit too. An attempt
 * that finds a bucket empty only because other attempts are still being checked waits for one
 * of them to finish instead, so that a burst of right secrets is not refused.
 */
export function reserveAuthenticationAttempt(c: Context<AppEnv>, keyId: string | undefined): Promise<AuthenticationAttempt> {
  return reserveAttempt(c.get('rateLimits'), sourceAddress(c), keyId, () => nowMs(c), () => count(c, c.get('rateLimits').addresses, sourceAddress(c)));
}

/**
 * reserveAuthenticationAttempt's rule, for any edge: `address` and `keyId` name the failure
 * buckets; `countRefusal` (optional) counts a refused attempt as a request, and returns that
 * count's verdict so the wait it implies is included in the 429's Retry-After.
 */
export async function reserveAttempt(
  limits: FailureBuckets,
  address: string,
  keyId: string | undefined,
  now: () => number,
  countRefusal?: () => { allowed: boolean; state: RateLimitState },
): Promise<AuthenticationAttempt> {
  const claims: Array<{ map: BucketMap; name: string }> = [{ map: limits.failuresByAddress, name: address }];
  if (keyId !== undefined) claims.push({ map: limits.failuresByKey, name: keyId });
  for (;;) {
    const at = now();
    const taken = claims.map(({ map, name }) => map.reserve(name, at));
    if (taken.every((t) => t.allowed)) {
      return {
        finish: ({ failed }) => {
          const end = now();
          for (const { map, name } of claims) map.release(name, end, { keep: failed });
        },
      };
    }
    // Nothing is held while waiting, so two attempts never wait on each other.
    claims.forEach(({ map, name }, i) => {
      if (taken[i]!.allowed) map.release(name, at, { keep: false });
    });
    const busy = claims.map(({ map, name }, i) => (taken[i]!.allowed ? undefined : map.pending(name))).find(Boolean);
    if (busy) {
      await busy;
      continue;
    }
    const waits = claims.map(({ map }, i) => (taken[i]!.allowed ? 0 : secondsUntilToken(taken[i]!.bucket, map.limits)));
    const counted = countRefusal?.();
    if (counted && !counted.allowed) waits.push(secondsUntilToken(counted.state.bucket, counted.state.limits));
    const seconds = Math.max(1, ...waits);
    const what = taken[1]?.allowed === false ? `with API key ${keyId}` : 'from this address';
    throw new KeyplaneError('too_many_requests', `Too many failed authentications ${what}; retry in ${seconds} s`, {
      retryAfterSeconds: seconds,
    });
  }
}

/**
 * Whether an attempt whose outcome is known at once may be checked without a reservation: every
 * one of its failure buckets has a token and none is held by an attempt still being checked.
 * Such an attempt calls `failedAttempt` if it failed; nothing else can run in between.
 */
export function mayAttemptAtOnce(limits: FailureBuckets, address: string, keyId: string | undefined, now: number): boolean {
  return (
    limits.failuresByAddress.hasToken(address, now) &&
    limits.failuresByAddress.pending(address) === undefined &&
    (keyId === undefined || (limits.failuresByKey.hasToken(keyId, now) && limits.failuresByKey.pending(keyId) === undefined))
  );
}

/** Counts a failed attempt checked at once (see mayAttemptAtOnce). */
export function failedAttempt(limits: FailureBuckets, address: string, keyId: string | undefined, now: number): void {
  limits.failuresByAddress.take(address, now);
  if (keyId !== undefined) limits.failuresByKey.take(keyId, now);
}

/**
 * The caller's address as the socket shows it; `unknown` where there is no socket (requests
 * made with `app.request()`). X-Forwarded-For is not read: any caller can send it.
 */
export function sourceAddress(c: Context<AppEnv>): string {
  let address = addresses.get(c.req.raw);
  if (address === undefined) {
    address = addressKey(peerAddress(c));
    addresses.set(c.req.raw, address);
  }
  return address;
}

/** The peer's address as its socket shows it, not normalised; `unknown` without a socket. */
export function peerAddress(c: Context<AppEnv>): string {
  // Without a Node request there is no socket, and getConnInfo would throw to say so.
  const remote = (c.env as { incoming?: unknown } | undefined)?.incoming ? getConnInfo(c).remote.address : undefined;
  return remote ?? 'unknown';
}

/** Each request's address, read once however many buckets count it. */
const addresses = new WeakMap<Request, string>();

/**
 * The name an address is counted under. An IPv6 caller is counted by its /64, the block one
 * host or site is usually given, so that stepping through its addresses gains it nothing; an
 * IPv4 address mapped into IPv6 counts as itself.
 */
export function addressKey(address: string): string {
  const bare = address.split('%')[0]!.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return mapped[1]!;
  if (!bare.includes(':')) return bare;
  const [head = '', tail] = bare.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : [];
  const zeros = tail === undefined ? [] : Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0');
  const groups = [...headGroups, ...zeros, ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

function nowMs(c: Context<AppEnv>): number {
  return c.get('services').now().getTime();
}

function count(c: Context<AppEnv>, map: BucketMap, name: string): { allowed: boolean; state: RateLimitState } {
  const { allowed, bucket } = map.take(name, nowMs(c));
  const state = { limits: map.limits, bucket };
  c.set('rateLimit', state);
  // Counted before the response exists (but for the rare request answered before any count):
  // the headers go straight into it.
  limitHeaders(c, state);
  return { allowed, state };
}

function tooManyRequests(what: string, state: RateLimitState): KeyplaneError {
  const seconds = Math.max(1, secondsUntilToken(state.bucket, state.limits));
  return new KeyplaneError('too_many_requests', `${what}; retry in ${seconds} s`, { retryAfterSeconds: seconds });
}
