import type { Context } from 'hono';
import { z } from 'zod';
import { KeyplaneError } from '../../domain/errors.js';
import { checkEmail } from '../../domain/text.js';
import { secondsUntilToken } from '../../domain/token-bucket.js';
import {
  changePassword,
  reportRefusedSignIn,
  signIn,
  signOut,
  wrongCurrentPassword,
} from '../../services/console-sessions.js';
import { checkPassword } from '../../services/passwords.js';
import type { User } from '../../storage/schema.js';
import type { Api } from '../api.js';
import { requestMetadataOf } from '../audit.js';
import { clearSessionCookie, requireSession, setSessionCookie } from '../auth.js';
import { readJson } from '../body.js';
import { BucketMap, peerAddress, type RateLimits, sourceAddress } from '../rate-limit.js';
import type { AppEnv } from '../types.js';

const TAG = 'Console (console/v1)';

/**
 * Failed sign-ins allowed in each window: per email from one client address, per email from all
 * addresses, and per address whatever the email. The tight limit is per (email, address), so
 * that a stranger's guesses lock an account out only where the stranger is: the account's owner
 * signs in from elsewhere. The per-email limit bounds guessing spread over many addresses.
 */
export const SIGN_IN_FAILURES_PER_EMAIL_AND_ADDRESS = 5;
export const SIGN_IN_FAILURES_PER_EMAIL = 50;
export const SIGN_IN_FAILURES_PER_ADDRESS = 20;
export const SIGN_IN_WINDOW_MINUTES = 15;
/**
 * Token buckets refill a whole number of tokens a minute; these buckets run on a clock this many
 * times slower, so that a bucket of 5 refills one token every 3 minutes (5 in 15).
 */
const SLOWDOWN = 3;

interface SignInBuckets {
  byEmailAndAddress: BucketMap;
  byEmail: BucketMap;
  byAddress: BucketMap;
}

const signInBuckets = new WeakMap<RateLimits, SignInBuckets>();

function bucketsOf(limits: RateLimits): SignInBuckets {
  let buckets = signInBuckets.get(limits);
  if (!buckets) {
    const perMinute = (capacity: number) => (capacity * SLOWDOWN) / SIGN_IN_WINDOW_MINUTES;
    buckets = {
      byEmailAndAddress: new BucketMap({
        capacity: SIGN_IN_FAILURES_PER_EMAIL_AND_ADDRESS,
        perMinute: perMinute(SIGN_IN_FAILURES_PER_EMAIL_AND_ADDRESS),
      }),
      byEmail: new BucketMap({ capacity: SIGN_IN_FAILURES_PER_EMAIL, perMinute: perMinute(SIGN_IN_FAILURES_PER_EMAIL) }),
      byAddress: new BucketMap({ capacity: SIGN_IN_FAILURES_PER_ADDRESS, perMinute: perMinute(SIGN_IN_FAILURES_PER_ADDRESS) }),
    };
    signInBuckets.set(limits, buckets);
  }
  return buckets;
}

/**
 * Reserves one failure of each bucket (email and address, email, address) before a password is
 * checked; a 429 with Retry-After when either is spent, so no guess is evaluated. `finish` keeps
 * the failures of a wrong password and gives back the rest.
 */
function reserveSignIn(c: Context<AppEnv>, email: string): { finish(failed: boolean): void } {
  const buckets = bucketsOf(c.get('rateLimits'));
  const clock = () => Math.floor(c.get('services').now().getTime() / SLOWDOWN);
  const claims = [
    { map: buckets.byEmailAndAddress, name: `${email} ${sourceAddress(c)}` },
    { map: buckets.byEmail, name: email },
    { map: buckets.byAddress, name: sourceAddress(c) },
  ];
  const at = clock();
  const taken = claims.map(({ map, name }) => map.reserve(name, at));
  if (taken.every((t) => t.allowed)) {
    return {
      finish: (failed) => {
        const end = clock();
        for (const { map, name } of claims) map.release(name, end, { keep: failed });
      },
    };
  }
  claims.forEach(({ map, name }, i) => {
    if (taken[i]!.allowed) map.release(name, at, { keep: false });
  });
  const seconds = Math.max(1, ...taken.map((t, i) => (t.allowed ? 0 : secondsUntilToken(t.bucket, claims[i]!.map.limits) * SLOWDOWN)));
  reportRefusedSignIn(c.get('services'), peerAddress(c), 'too_many_attempts');
  throw new KeyplaneError('too_many_requests', `Too many failed sign-ins; retry in ${seconds} s`, { retryAfterSeconds: seconds });
}

/** The body of sign-in, GET session and invitation accept. */
export function sessionBody(c: Context<AppEnv>, session: { user: User; csrfToken: string; expiresAt: string }) {
  return {
    user: { id: session.user.id, email: session.user.email, full_name: session.user.fullName },
    organization_id: c.get('services').orgId,
    csrf_token: session.csrfToken,
    expires_at: session.expiresAt,
  };
}

const signInBody = z.object({ email: z.string(), password: z.string() });
const passwordBody = z.object({ current_password: z.string(), new_password: z.string() });

export function registerConsoleSessionRoutes(api: Api): void {
  api.route(
    {
      method: 'post',
      path: '/console/v1/sign-in',
      summary: 'Sign in to the console with email and password; sets the session cookie',
      tag: TAG,
      body: signInBody,
      responses: { 200: 'Signed in: the user, the CSRF token for changes, and when the session ends' },
      authenticated: false,
    },
    async (c) => {
      const body = await readJson(c, signInBody);
      const email = checkEmail('/email', body.email.trim());
      checkPassword('/password', body.password);
      const attempt = reserveSignIn(c, email);
      let result: Awaited<ReturnType<typeof signIn>>;
      try {
        result = await signIn(c.get('services'), email, body.password, peerAddress(c));
      } catch (error) {
        attempt.finish(false);
        throw error;
      }
      attempt.finish(!result.ok);
      if (!result.ok) throw new KeyplaneError('sign_in_failed', 'The email or password is not right');
      setSessionCookie(c, result.session);
      return c.json(sessionBody(c, result.session));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/console/v1/session',
      summary: 'The signed-in user and the CSRF token of the session the cookie names',
      tag: TAG,
      responses: { 200: 'Signed in' },
      authenticated: false,
    },
    async (c) => {
      const { session } = await requireSession(c, { csrf: false });
      return c.json(sessionBody(c, session));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/console/v1/sign-out',
      summary: 'End the console session (needs X-CSRF-Token)',
      tag: TAG,
      responses: { 204: 'Signed out; the cookie is cleared' },
      authenticated: false,
    },
    async (c) => {
      const { session } = await requireSession(c, { csrf: true });
      await signOut(c.get('services'), session.actor, requestMetadataOf(c));
      clearSessionCookie(c);
      return c.body(null, 204);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/console/v1/password',
      summary: "Change the signed-in user's password (needs X-CSRF-Token); the user's other sessions end",
      tag: TAG,
      body: passwordBody,
      responses: { 204: 'Changed' },
      authenticated: false,
    },
    async (c) => {
      const { session } = await requireSession(c, { csrf: true });
      const body = await readJson(c, passwordBody);
      checkPassword('/current_password', body.current_password);
      checkPassword('/new_password', body.new_password);
      const attempt = reserveSignIn(c, session.user.email);
      let result: { ok: boolean };
      try {
        result = await changePassword(c.get('services'), session, body.current_password, body.new_password, requestMetadataOf(c));
      } catch (error) {
        attempt.finish(false);
        throw error;
      }
      attempt.finish(!result.ok);
      if (!result.ok) throw wrongCurrentPassword();
      return c.body(null, 204);
    },
  );
}
