import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ErrorCode, KeyplaneError, type KeyplaneErrorOptions } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { describeDriverError, StoreUnavailable } from '../services/context.js';
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

/**
 * The answer to an error nothing expected, logged once: "retry shortly" while the database is
 * unreachable, else "failed", naming the request id that finds it in the log.
 */
export function unexpectedFailure(error: unknown, logger: Logger, requestId: string): KeyplaneError {
  if (error instanceof StoreUnavailable) {
    logger.warn('database unavailable', { request_id: requestId, cause: describeDriverError(error.cause) });
    return new KeyplaneError('database_unavailable', 'The database cannot be reached; retry shortly. A change is made whole or not at all', {
      retryAfterSeconds: 5,
    });
  }
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  logger.error('unhandled error', { request_id: requestId, error: name, message });
  return new KeyplaneError('internal_error', 'The server failed to handle the request; the request id identifies it in the log');
}
