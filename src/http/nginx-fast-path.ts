import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import type { ServiceContext } from '../services/context.js';
import { requestIdFor } from './app.js';
import { answerNginx, CLIENT_ADDRESS_HEADER, type NginxAnswer, RESOURCE_HEADER, VERIFIER_HEADER } from './data-plane.js';
import { failureBody } from './failure.js';
import { addressKey, type RateLimits } from './rate-limit.js';

export const NGINX_AUTH_PATH = '/v1/auth/nginx';

export interface FastPathDeps {
  services: ServiceContext;
  limits: RateLimits;
  logger: Logger;
}

/**
 * The server's request listener: `GET /v1/auth/nginx` is answered straight from Node's request,
 * the same answer the framework's route gives (answerNginx) without the framework's cost per
 * request; everything else, and any request whose answer fails, goes to `fallback`.
 */
export function withNginxFastPath(deps: FastPathDeps, fallback: RequestListener): RequestListener {
  return (req, res) => {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || !url.startsWith(NGINX_AUTH_PATH) || (url.length > NGINX_AUTH_PATH.length && url[NGINX_AUTH_PATH.length] !== '?')) {
      fallback(req, res);
      return;
    }
    const started = deps.logger.enabled('debug') ? performance.now() : 0;
    const headers = req.headers;
    let answer: NginxAnswer | Promise<NginxAnswer>;
    try {
      answer = answerNginx(deps.services, deps.limits, {
        authorization: headers.authorization,
        verifier: single(headers[VERIFIER_HEADER]),
        resource: single(headers[RESOURCE_HEADER]),
        clientAddress: single(headers[CLIENT_ADDRESS_HEADER]),
        socketAddress: socketAddress(req),
      });
    } catch {
      // A failure (the database is down, say) is answered by the framework's route and error handling.
      fallback(req, res);
      return;
    }
    if (answer instanceof Promise) answer.then((a) => send(deps, req, res, a, started), () => fallback(req, res));
    else send(deps, req, res, answer, started);
  };
}

/** Each connection's address, worked out once however many requests it carries (nginx keeps them open). */
const socketAddresses = new WeakMap<object, string>();

function socketAddress(req: IncomingMessage): string {
  let address = socketAddresses.get(req.socket);
  if (address === undefined) {
    address = addressKey(req.socket.remoteAddress ?? 'unknown');
    socketAddresses.set(req.socket, address);
  }
  return address;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function send(deps: FastPathDeps, req: IncomingMessage, res: ServerResponse, answer: NginxAnswer, started: number): void {
  const requestId = requestIdFor(single(req.headers['x-request-id']));
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
