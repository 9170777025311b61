import { describe, expect, it } from 'vitest';
import {
  type BucketLimits,
  fullBucket,
  isFull,
  refill,
  remaining,
  secondsUntilFull,
  secondsUntilToken,
  type TokenBucket,
  take,
} from './token-bucket.js';

const perSecond: BucketLimits = { capacity: 5, perMinute: 60 };

/** Takes `n` tokens at `now`, each of which must be granted. */
function drain(bucket: TokenBucket, limits: BucketLimits, n: number, now: number): TokenBucket {
  let current = bucket;
  for (let i = 0; i < n; i++) {
    const result = take(current, limits, now);
    expect(result.allowed).toBe(true);
    current = result.bucket;
  }
  return current;
}

describe('token bucket', () => {
  it.each([
    // limits, tokens taken at t=0, then looked at after ms → remaining, seconds until full, seconds until a token
    { limits: perSecond, taken: 0, after: 0, remaining: 5, full: 0, token: 0 },
    { limits: perSecond, taken: 1, after: 0, remaining: 4, full: 1, token: 0 },
    { limits: perSecond, taken: 5, after: 0, remaining: 0, full: 5, token: 1 },
    { limits: perSecond, taken: 5, after: 999, remaining: 0, full: 5, token: 1 },
    { limits: perSecond, taken: 5, after: 1000, remaining: 1, full: 4, token: 0 },
    { limits: perSecond, taken: 5, after: 2500, remaining: 2, full: 3, token: 0 },
    { limits: perSecond, taken: 5, after: 5000, remaining: 5, full: 0, token: 0 },
    { limits: perSecond, taken: 5, after: 3_600_000, remaining: 5, full: 0, token: 0 },
    // 1200 a minute: one token each 50 ms.
    { limits: { capacity: 100, perMinute: 1200 }, taken: 100, after: 49, remaining: 0, full: 5, token: 1 },
    { limits: { capacity: 100, perMinute: 1200 }, taken: 100, after: 50, remaining: 1, full: 5, token: 0 },
    { limits: { capacity: 100, perMinute: 1200 }, taken: 100, after: 4000, remaining: 80, full: 1, token: 0 },
    // 10 a minute with a burst of 10: one token each 6 s, full again a minute after it was emptied.
    { limits: { capacity: 10, perMinute: 10 }, taken: 10, after: 0, remaining: 0, full: 60, token: 6 },
    { limits: { capacity: 10, perMinute: 10 }, taken: 10, after: 5999, remaining: 0, full: 55, token: 1 },
    { limits: { capacity: 10, perMinute: 10 }, taken: 10, after: 6000, remaining: 1, full: 54, token: 0 },
    // 7 a minute: a token every 8571.4… ms, which no whole number of milliseconds hits.
    { limits: { capacity: 7, perMinute: 7 }, taken: 7, after: 8571, remaining: 0, full: 52, token: 1 },
    { limits: { capacity: 7, perMinute: 7 }, taken: 7, after: 8572, remaining: 1, full: 52, token: 0 },
    { limits: { capacity: 7, perMinute: 7 }, taken: 7, after: 60_000, remaining: 7, full: 0, token: 0 },
  ])('$limits.capacity/$limits.perMinute a minute, $taken taken, after $after ms: $remaining left', (row) => {
    const drained = drain(fullBucket(row.limits, 0), row.limits, row.taken, 0);
    const later = refill(drained, row.limits, row.after);
    expect(remaining(later)).toBe(row.remaining);
    expect(secondsUntilFull(later, row.limits)).toBe(row.full);
    expect(secondsUntilToken(later, row.limits)).toBe(row.token);
    expect(isFull(later, row.limits)).toBe(row.full === 0);
  });

  it('grants a burst of its capacity at once and refuses the next take', () => {
    const empty = drain(fullBucket(perSecond, 0), perSecond, 5, 0);
    const refused = take(empty, perSecond, 0);
    expect(refused.allowed).toBe(false);
    expect(refused.bucket).toEqual(empty);
  });

  it('does not let refused takes push the next token further away', () => {
    let bucket = drain(fullBucket(perSecond, 0), perSecond, 5, 0);
    for (const now of [100, 500, 900]) {
      const result = take(bucket, perSecond, now);
      expect(result.allowed).toBe(false);
      bucket = result.bucket;
    }
    expect(take(bucket, perSecond, 1000).allowed).toBe(true);
  });

  it('sustains exactly its rate: over 10 minutes of asking every millisecond, a burst plus 10 minutes of tokens', () => {
    const limits = { capacity: 3, perMinute: 7 };
    let bucket = fullBucket(limits, 0);
    let granted = 0;
    for (let now = 0; now <= 600_000; now++) {
      const result = take(bucket, limits, now);
      bucket = result.bucket;
      if (result.allowed) granted++;
    }
    expect(granted).toBe(3 + 70);
  });

  it('never holds more than its capacity', () => {
    const bucket = refill(fullBucket(perSecond, 0), perSecond, Number.MAX_SAFE_INTEGER);
    expect(remaining(bucket)).toBe(5);
    expect(isFull(bucket, perSecond)).toBe(true);
  });

  it('adds nothing when the clock steps back, and refills from the later time once it passes it', () => {
    const empty = drain(fullBucket(perSecond, 10_000), perSecond, 5, 10_000);
    const back = refill(empty, perSecond, 5_000);
    expect(back).toEqual(empty);
    expect(remaining(refill(back, perSecond, 11_000))).toBe(1);
  });
});
