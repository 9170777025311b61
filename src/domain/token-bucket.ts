/**
 * A token bucket as plain data and pure functions: the time (milliseconds) is always passed in.
 * Levels are kept in 1/60,000 of a token, so a bucket refilling `perMinute` tokens a minute gains
 * exactly `perMinute` units each millisecond and the arithmetic stays in exact integers.
 */
const UNITS_PER_TOKEN = 60_000;
const MS_PER_SECOND = 1000;

export interface BucketLimits {
  /** Tokens a full bucket holds: the burst. */
  capacity: number;
  /** Tokens added per minute, until the bucket is full. */
  perMinute: number;
}

export interface TokenBucket {
  /** The level, in 1/60,000 of a token. */
  readonly units: number;
  /** The time the level was computed for, in milliseconds. */
  readonly at: number;
}

export function fullBucket(limits: BucketLimits, now: number): TokenBucket {
  return { units: limits.capacity * UNITS_PER_TOKEN, at: now };
}

/** The bucket as it stands at `now`. A clock that steps back adds nothing. */
export function refill(bucket: TokenBucket, limits: BucketLimits, now: number): TokenBucket {
  if (now <= bucket.at) return bucket;
  const units = Math.min(limits.capacity * UNITS_PER_TOKEN, bucket.units + (now - bucket.at) * limits.perMinute);
  return { units, at: now };
}

/** Takes one token at `now` if there is one; a refused take leaves the level as it was. */
export function take(bucket: TokenBucket, limits: BucketLimits, now: number): { allowed: boolean; bucket: TokenBucket } {
  const current = refill(bucket, limits, now);
  if (current.units < UNITS_PER_TOKEN) return { allowed: false, bucket: current };
  return { allowed: true, bucket: { units: current.units - UNITS_PER_TOKEN, at: current.at } };
}

/** Gives back at `now` a token taken earlier, as for a reservation that turned out not to count. */
export function giveBack(bucket: TokenBucket, limits: BucketLimits, now: number): TokenBucket {
  const current = refill(bucket, limits, now);
  return { units: Math.min(limits.capacity * UNITS_PER_TOKEN, current.units + UNITS_PER_TOKEN), at: current.at };
}

/** Whole tokens left. */
export function remaining(bucket: TokenBucket): number {
  return Math.floor(bucket.units / UNITS_PER_TOKEN);
}

export function isFull(bucket: TokenBucket, limits: BucketLimits): boolean {
  return bucket.units >= limits.capacity * UNITS_PER_TOKEN;
}

/** Whole seconds, rounded up, until the bucket is full again; 0 when it is full. */
export function secondsUntilFull(bucket: TokenBucket, limits: BucketLimits): number {
  return ceilDiv(Math.max(0, limits.capacity * UNITS_PER_TOKEN - bucket.units), limits.perMinute * MS_PER_SECOND);
}

/** Whole seconds, rounded up, until one token can be taken; 0 when one can be taken now, else at least 1. */
export function secondsUntilToken(bucket: TokenBucket, limits: BucketLimits): number {
  return ceilDiv(Math.max(0, UNITS_PER_TOKEN - bucket.units), limits.perMinute * MS_PER_SECOND);
}

/** ⌈a / b⌉ for non-negative integers, exact where a float quotient would round onto an integer. */
function ceilDiv(a: number, b: number): number {
  const q = Math.floor(a / b);
  return q * b < a ? q + 1 : q;
}
