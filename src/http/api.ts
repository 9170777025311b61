import type { Handler, Hono } from 'hono';
import { z } from 'zod';
import { type AuditRecording, audited } from './audit.js';
import { requireManagementKey } from './auth.js';
import { limitByAddress } from './rate-limit.js';
import type { AppEnv } from './types.js';

export interface QueryParameter {
  name: string;
  description: string;
  required?: boolean;
  /** May be given several times (`?display_name=a&display_name=b`). */
  repeated?: boolean;
}

/** One documented operation: what /openapi.json says and what the router serves are one list. */
export interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI form: `/iam/v2/api-keys/{id}`. */
  path: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: QueryParameter[];
  /** Success status → description. Error responses are added for every operation. */
  responses: Record<number, string>;
  /**
   * Defaults to true: HTTP Basic with a Cloud or Global API key. `verifier`: the data plane's
   * endpoints, which authenticate their caller (and throttle) themselves.
   */
  authenticated?: boolean | 'verifier';
}

export class Api {
  readonly operations: Operation[] = [];
  private readonly auth = requireManagementKey();
  private readonly matchers: Array<{ pattern: RegExp; method: string }> = [];

  constructor(
    readonly app: Hono<AppEnv>,
    private readonly audit?: AuditRecording,
  ) {}

  /** The methods served at a concrete path, for a 405's `Allow` header. */
  methodsFor(path: string): string[] {
    return [...new Set(this.matchers.filter((m) => m.pattern.test(path)).map((m) => m.method))];
  }

  route(operation: Operation, handler: Handler<AppEnv>): void {
    this.operations.push(operation);
    this.matchers.push({
      pattern: new RegExp(`^${operation.path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
      method: operation.method.toUpperCase(),
    });
    const path = operation.path.replace(/\{(\w+)\}/g, ':$1');
    const method = operation.method.toUpperCase();
    if (operation.authenticated === false) this.app.on(method, path, limitByAddress, handler);
    else if (operation.authenticated === 'verifier') this.app.on(method, path, handler);
    else this.app.on(method, path, this.auth, this.audit ? audited(operation, handler, this.audit) : handler);
  }
}

const failureSchema = {
  type: 'object',
  required: ['errors'],
  properties: {
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          status: { type: 'string' },
          code: { type: 'string' },
          title: { type: 'string' },
          detail: { type: 'string' },
          source: { type: 'object', properties: { pointer: { type: 'string' }, parameter: { type: 'string' } } },
        },
      },
    },
  },
};

/** The server's own OpenAPI 3.0 document, built from the registered operations. */
export function openApiDocument(operations: Operation[], publicUrl: string, version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const queryParams = (op.query ?? []).map((q) => ({
      name: q.name,
      in: 'query',
      required: q.required ?? false,
      description: q.description,
      schema: q.repeated ? { type: 'array', items: { type: 'string' } } : { type: 'string' },
      ...(q.repeated ? { style: 'form', explode: true } : {}),
    }));
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(op.responses)) responses[status] = { description };
    const errorResponse = (description: string) => ({
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Failure' } } },
    });
    if (op.authenticated !== false) responses['401'] = errorResponse('Missing or invalid credentials');
    responses['4XX'] = errorResponse('The request was refused; the body says why');
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      tags: [op.tag],
      operationId: `${op.method}${op.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ? ch.toUpperCase() : ''))}`,
      parameters: [...pathParams, ...queryParams],
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: z.toJSONSchema(op.body, { target: 'openapi-3.0', io: 'input' }) } },
            },
          }
        : {}),
      responses,
      ...(op.authenticated === false ? { security: [] } : {}),
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Keyplane API',
      version,
      description: "API keys, service accounts and access; compatible with Confluent Cloud's management API.",
    },
    servers: [{ url: publicUrl }],
    // Either scheme authenticates a management call: a Cloud API key, or a console session.
    security: [{ basic: [] }, { session: [] }],
    paths,
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: 'A Cloud API key as the user name and its secret as the password' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'keyplane_session',
          description:
            'A console session from POST /console/v1/sign-in; a call that changes anything also sends the session\'s csrf_token as X-CSRF-Token',
        },
      },
      schemas: { Failure: failureSchema },
    },
  };
}
