import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ErrorCode, KeyplaneError, type KeyplaneErrorOptions } from '../domain/errors.js';
import { errorStatus } from './error-status.js';
import { link } from './presenters/common.js';
import type { AppEnv } from './types.js';

/** The Confluent `Failure` envelope for one error; `status` where an endpoint answers another than the code's. */
export function failureBody(requestId: string, error: KeyplaneError, status: number = errorStatus[error.code]) {
  return {
    errors: [
      {
        id: requestId,
        status: String(status),
        code: error.code,
        title: error.title,
        detail: error.detail,
        ...(error.source ? { source: error.source } : {}),
      },
    ],
  };
}

export function failure(c: Context<AppEnv>, error: KeyplaneError): Response {
  if (error.location) c.header('Location', link(c, error.location));
  if (error.retryAfterSeconds !== undefined) c.header('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  return c.json(failureBody(c.get('requestId'), error), errorStatus[error.code] as ContentfulStatusCode);
}

export function fail(c: Context<AppEnv>, code: ErrorCode, detail: string, options?: KeyplaneErrorOptions): Response {
  return failure(c, new KeyplaneError(code, detail, options));
}
