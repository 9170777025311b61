import { isIP } from 'node:net';
import { KeyplaneError } from '../domain/errors.js';
import { isApiKeyId } from '../domain/ids.js';
import type { ServiceContext } from '../services/context.js';
import { andThen, type Maybe } from '../services/maybe.js';
import {
  checkVerifier,
  type DataPlaneResource,
  parseResource,
  RESOURCE_FORMS,
  type Verification,
  verifyCredentials,
} from '../services/verify-credentials.js';
import { parseBasic, WWW_AUTHENTICATE } from './auth.js';
import { addressKey, type FailureBuckets, failedAttempt, mayAttemptAtOnce, type RateLimits, reserveAttempt } from './rate-limit.js';

/** The verifier's own credential: `Basic base64(key:secret)`, as in Authorization. */
export const VERIFIER_HEADER = 'x-keyplane-verifier';
/** The resource a request is for, set by the nginx configuration. */
export const RESOURCE_HEADER = 'x-keyplane-resource';
/** The client's address as the verifier saw it; trusted only once the verifier has authenticated. */
export const CLIENT_ADDRESS_HEADER = 'x-keyplane-client-address';

export interface Credentials {
  key: string;
  secret: string;
}

export interface DataPlaneCall {
  resource: DataPlaneResource;
  /** The credential of whoever asks: the resource's own key or a Cloud key granted ApiKey:Verify. */
  verifier: Credentials;
  /** The credential being checked. */
  credentials: Credentials;
  /** The peer's address (nginx, a broker), as its socket shows it. */
  socketAddress: string;
  /** The client's IP address as the verifier reports it. */
  clientAddress: string | undefined;
  via: 'verify' | 'nginx';
}

/**
 * The verifier itself was refused: a misconfigured verifier, told apart from the client's own
 * failures by its reason (X-Keyplane-Reason on the nginx endpoint).
 */
export class VerifierRefused extends KeyplaneError {
  constructor(
    readonly reason: 'verifier_missing' | 'verifier_invalid' | 'verifier_not_allowed',
    ...error: ConstructorParameters<typeof KeyplaneError>
  ) {
    super(...error);
  }
}

/**
 * Checks the verifier, then the credentials, each under the failed-authentication limits. The
 * two never share a bucket, so no client can use up the verifier's: the verifier's failures
 * count by the peer's address and its key id; the client's by its key id and by its address
 * (the peer's when the verifier does not say) among that verifier's clients. Throws
 * `user_unauthenticated` for a verifier that does not authenticate, `user_unauthorized` for one
 * that may not verify keys for the resource, `too_many_requests` past the limits. Synchronous
 * when both keys are cached.
 */
export function checkDataPlaneCall(ctx: ServiceContext, limits: RateLimits, call: DataPlaneCall): Maybe<Verification> {
  const { resource, verifier, credentials, via } = call;
  // One reading of the clock serves the limits and the events of both checks.
  const time = ctx.now().getTime();
  const verifierOrigin = { via, clientAddress: call.socketAddress, time };
  const verifierCheck = throttled(
    ctx,
    limits.verifiers,
    time,
    { address: bucketOf(call.socketAddress), key: verifier.key },
    verifier.key,
    () => checkVerifier(ctx, verifier.key, verifier.secret, resource, verifierOrigin),
    (check) => !check.allowed && check.reason === 'invalid_credentials',
  );
  return andThen(verifierCheck, (check) => {
    if (!check.allowed) {
      throw check.reason === 'invalid_credentials'
        ? new VerifierRefused('verifier_invalid', 'user_unauthenticated', check.detail)
        : new VerifierRefused('verifier_not_allowed', 'user_unauthorized', check.detail);
    }
    const address = call.clientAddress ?? call.socketAddress;
    return throttled(
      ctx,
      limits,
      time,
      { address: clientBucket(verifier.key, bucketOf(address)), key: credentials.key },
      credentials.key,
      () => verifyCredentials(ctx, credentials.key, credentials.secret, resource, { via, clientAddress: address, time }),
      (verification) => !verification.valid && verification.reason === 'invalid_credentials',
    );
  });
}

const buckets = new Map<string, string>();
/** Addresses whose bucket name is remembered: a node sees few peers, and past this each is worked out again. */
const MAX_REMEMBERED_ADDRESSES = 10_000;

/** A client address's bucket among one verifier's clients, remembered for the next request. */
function clientBucket(verifierKey: string, address: string): string {
  let names = clientBuckets.get(verifierKey);
  const name = names?.get(address);
  if (name !== undefined) return name;
  const made = `${verifierKey} ${address}`;
  if (rememberedClientBuckets < MAX_REMEMBERED_ADDRESSES) {
    if (names === undefined) {
      names = new Map();
      clientBuckets.set(verifierKey, names);
    }
    names.set(address, made);
    rememberedClientBuckets++;
  }
  return made;
}

/** Bucket names by verifier key and address; at most MAX_REMEMBERED_ADDRESSES in all. */
const clientBuckets = new Map<string, Map<string, string>>();
let rememberedClientBuckets = 0;

/** The bucket an address counts in (an IPv6 address by its /64), remembered for the next request. */
function bucketOf(address: string): string {
  let bucket = buckets.get(address);
  if (bucket === undefined) {
    bucket = addressKey(address);
    if (buckets.size < MAX_REMEMBERED_ADDRESSES) buckets.set(address, bucket);
  }
  return bucket;
}

/**
 * Runs one credential check under the failed-authentication limits. A cached key is checked at
 * once, its outcome known before anything else runs, so a failure is counted after the fact; any
 * other check holds a reservation while it reads the database (src/http/rate-limit.ts).
 */
function throttled<T>(
  ctx: ServiceContext,
  limits: FailureBuckets,
  now: number,
  names: { address: string; key: string },
  keyId: string,
  check: () => Maybe<T>,
  failed: (outcome: T) => boolean,
): Maybe<T> {
  // Only well-formed ids are ever cached, so a cached one needs no pattern check.
  if (ctx.keys.peek(keyId) !== undefined && mayAttemptAtOnce(limits, names.address, names.key, now)) {
    return andThen(check(), (outcome) => {
      if (failed(outcome)) failedAttempt(limits, names.address, names.key, now);
      return outcome;
    });
  }
  // A malformed id is no guess at a key: it counts against the address alone.
  return reserved(ctx, limits, names.address, isApiKeyId(keyId) ? names.key : undefined, check, failed);
}

async function reserved<T>(
  ctx: ServiceContext,
  limits: FailureBuckets,
  address: string,
  keyId: string | undefined,
  check: () => Maybe<T>,
  failed: (outcome: T) => boolean,
): Promise<T> {
  const attempt = await reserveAttempt(limits, address, keyId, () => ctx.now().getTime());
  let outcome: T;
  try {
    outcome = await check();
  } catch (error) {
    attempt.finish({ failed: false });
    throw error;
  }
  attempt.finish({ failed: failed(outcome) });
  return outcome;
}

export interface NginxRequest {
  authorization: string | undefined;
  verifier: string | undefined;
  resource: string | undefined;
  clientAddress: string | undefined;
  socketAddress: string;
}

/**
 * nginx's auth_request understands 2xx, 401 and 403 (anything else becomes a 500 for the
 * client), so every refusal is one of those; the error says why, in X-Keyplane-Reason and the
 * body. `error` is absent on success.
 */
export interface NginxAnswer {
  status: 200 | 401 | 403;
  headers: Record<string, string>;
  error?: KeyplaneError;
}

/**
 * GET /v1/auth/nginx: the client's `Authorization: Basic` checked for the resource the nginx
 * configuration names, by the verifier nginx authenticates as. 200 names the key's owner in
 * X-Keyplane-Principal; 401 asks the client for credentials; 403 refuses them.
 */
export function answerNginx(ctx: ServiceContext, limits: RateLimits, request: NginxRequest): Maybe<NginxAnswer> {
  const credentials = parseBasic(request.authorization);
  if (!credentials) {
    return refusal(new KeyplaneError('user_unauthenticated', 'The request needs HTTP Basic credentials: an API key and its secret'), 'missing_credentials');
  }
  const resource = request.resource === undefined ? undefined : parseResource(request.resource);
  if (!resource) {
    return refusal(
      new KeyplaneError(
        'bad_request',
        request.resource === undefined
          ? `The ${RESOURCE_HEADER} header is missing: the nginx configuration must name the resource (${RESOURCE_FORMS})`
          : `The ${RESOURCE_HEADER} header names no resource: expected ${RESOURCE_FORMS}`,
        { source: { parameter: RESOURCE_HEADER } },
      ),
    );
  }
  const verifier = parseBasic(request.verifier);
  if (!verifier) {
    return refusal(
      new VerifierRefused('verifier_missing', 'user_unauthenticated', `The ${VERIFIER_HEADER} header must hold the verifier's API key as HTTP Basic credentials`, {
        source: { parameter: VERIFIER_HEADER },
      }),
    );
  }
  const call: DataPlaneCall = {
    resource,
    verifier,
    credentials,
    socketAddress: request.socketAddress,
    // Anything but an IP address is a misconfiguration, not a client: the peer's address counts instead.
    clientAddress: request.clientAddress !== undefined && isIP(request.clientAddress) !== 0 ? request.clientAddress : undefined,
    via: 'nginx',
  };
  let outcome: Maybe<Verification>;
  try {
    outcome = checkDataPlaneCall(ctx, limits, call);
  } catch (error) {
    return refusal(error);
  }
  return outcome instanceof Promise ? outcome.then(nginxAnswer, refusal) : nginxAnswer(outcome);
}

function nginxAnswer(verification: Verification): NginxAnswer {
  if (verification.valid) {
    const { key } = verification;
    return { status: 200, headers: { 'X-Keyplane-Principal': key.ownerId, 'X-Keyplane-Key': key.id } };
  }
  const code = verification.reason === 'invalid_credentials' ? 'user_unauthenticated' : 'user_unauthorized';
  return refusal(new KeyplaneError(code, verification.detail), verification.reason);
}

/**
 * X-Keyplane-Reason: missing_credentials, the verification's reason (invalid_credentials, wrong_resource, cloud_key,
 * no_access), the verifier's (verifier_missing, verifier_invalid, verifier_not_allowed), or the
 * error code (bad_request for a missing or unknown resource, too_many_requests).
 */
function refusal(error: unknown, reason?: string): NginxAnswer {
  if (!(error instanceof KeyplaneError)) throw error;
  const status = error.code === 'user_unauthenticated' ? 401 : 403;
  const headers: Record<string, string> = { 'X-Keyplane-Reason': reason ?? (error instanceof VerifierRefused ? error.reason : error.code) };
  if (status === 401) headers['WWW-Authenticate'] = WWW_AUTHENTICATE;
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  return { status, headers, error };
}
