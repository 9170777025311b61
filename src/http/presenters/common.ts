import type { Context } from 'hono';
import type { AppEnv } from '../types.js';

/** Absolute URL of a path on this server, from KEYPLANE_PUBLIC_URL. */
export function link(c: Context<AppEnv>, path: string): string {
  return `${c.get('http').publicUrl}${path}`;
}

export function objectMeta(
  c: Context<AppEnv>,
  path: string,
  resourceName: string,
  row: { createdAt: string; updatedAt: string },
) {
  return { self: link(c, path), resource_name: resourceName, created_at: row.createdAt, updated_at: row.updatedAt };
}

/** A create's answer: the object, with `Location` absolute like `self`. */
export function created(c: Context<AppEnv>, path: string, body: unknown, status: 201 | 202 = 201): Response {
  c.header('Location', link(c, path));
  return c.json(body, status);
}

export function principalRef(c: Context<AppEnv>, id: string, kind: string) {
  const services = c.get('services');
  const isUser = kind === 'User';
  return {
    id,
    kind,
    api_version: 'iam/v2',
    related: link(c, `${isUser ? '/iam/v2/users/' : '/iam/v2/service-accounts/'}${id}`),
    resource_name: isUser ? services.crn.user(id) : services.crn.serviceAccount(id),
  };
}

export function environmentRef(c: Context<AppEnv>, id: string) {
  return {
    id,
    related: link(c, `/org/v2/environments/${id}`),
    resource_name: c.get('services').crn.environment(id),
  };
}
