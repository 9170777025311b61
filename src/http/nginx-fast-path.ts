import type { RequestListener, ServerResponse } from 'node:http';
import type { KeyplaneError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { ServiceContext } from '../services/context.js';
import { requestIdFor } from './app.js';
import { answerNginx, CLIENT_ADDRESS_HEADER, type NginxAnswer, RESOURCE_HEADER, VERIFIER_HEADER } from './data-plane.js';
import { errorStatus } from './error-status.js';
import { failureBody, unexpectedFailure } from './failure.js';
import type { RateLimits } from './rate-limit.js';

export const NGINX_AUTH_PATH = '/v1/auth/nginx';

export interface FastPathDeps {
  services: ServiceContext;
  limits: RateLimits;
  logger: Logger;
}

/**
 * The server's request listener: `GET /v1/auth/nginx` is answered straight from Node's request,
 * the same answer the framework's route gives (answerNginx) without the framework's cost per
 * request; everything else goes to `fallback`.
 */
export function withNginxFastPath(deps: FastPathDeps, fallback: RequestListener): RequestListener {
  return (req, res) => {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || !url.startsWith(NGINX_AUTH_PATH) || (url.length > NGINX_AUTH_PATH.length && url[NGINX_AUTH_PATH.length] !== '?')) {
      fallback(req, res);
      return;
    }
    const started = deps.logger.enabled('debug') ? performance.now() : 0;
    const requestId = requestIdFor(single(req.headers['x-request-id']));
    const headers = req.headers;
    let answer: NginxAnswer | Promise<NginxAnswer>;
    try {
      answer = answerNginx(deps.services, deps.limits, {
        authorization: headers.authorization,
        verifier: single(headers[VERIFIER_HEADER]),
        resource: single(headers[RESOURCE_HEADER]),
        clientAddress: single(headers[CLIENT_ADDRESS_HEADER]),
        socketAddress: req.socket.remoteAddress ?? 'unknown',
      });
    } catch (error) {
      sendFailure(deps, res, requestId, error, started);
      return;
    }
    if (answer instanceof Promise) {
      answer.then(
        (a) => send(deps, res, requestId, a, started),
        (error) => sendFailure(deps, res, requestId, error, started),
      );
    } else send(deps, res, requestId, answer, started);
  };
}

/**
 * An error (the database is down, say) is answered here, as the app's error handler would:
 * handing the request on would check its credentials, and report them, a second time.
 */
function sendFailure(deps: FastPathDeps, res: ServerResponse, requestId: string, error: unknown, started: number): void {
  const failure = unexpectedFailure(error, deps.logger, requestId);
  const retry: Record<string, string> = failure.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(failure.retryAfterSeconds) };
  send(deps, res, requestId, { status: errorStatus[failure.code], headers: retry, error: failure }, started);
}

/** Node joins repeated headers into one string (but set-cookie); the type allows a list regardless. */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function send(
  deps: FastPathDeps,
  res: ServerResponse,
  requestId: string,
  answer: { status: number; headers: Record<string, string>; error?: KeyplaneError | undefined },
  started: number,
): void {
  // A flat list of names and values costs Node less than an object; a length, never chunks:
  // nginx and other peers read the answer in one go and keep the connection.
  const headers: string[] = ['X-Request-Id', requestId];
  for (const name in answer.headers) headers.push(name, answer.headers[name]!);
  if (answer.error) {
    const body = JSON.stringify(failureBody(requestId, answer.error, answer.status));
    headers.push('Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body)));
    res.writeHead(answer.status, headers);
    res.end(body);
  } else {
    headers.push('Content-Length', '0');
    res.writeHead(answer.status, headers);
    res.end();
  }
  if (!deps.logger.enabled('debug')) return;
  deps.logger.debug('request', {
    request_id: requestId,
    method: 'GET',
    path: NGINX_AUTH_PATH,
    status: answer.status,
    duration_ms: Math.round((performance.now() - started) * 100) / 100,
    principal: answer.headers['X-Keyplane-Principal'],
  });
}
