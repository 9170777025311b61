/** The REST API, same origin, authenticated by the session cookie; changes carry the CSRF token. */

export interface FailureItem {
  id?: string;
  status?: string;
  code?: string;
  title?: string;
  detail?: string;
  source?: { pointer?: string; parameter?: string };
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly retryAfter: string | null;

  constructor(status: number, item: FailureItem | undefined, retryAfter: string | null = null) {
    super(item?.detail ?? item?.title ?? `The server answered ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = item?.code;
    this.retryAfter = retryAfter;
  }
}

let csrfToken: string | undefined;
let onSignedOut: (() => void) | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when a request is refused because the session ended (expired or signed out elsewhere). */
export function onSessionEnded(listener: (() => void) | undefined): void {
  onSignedOut = listener;
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  // X-Requested-With: an unauthenticated call answers 401 without the browser's Basic sign-in prompt.
  const headers: Record<string, string> = { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { detail: 'The server cannot be reached. Check your connection and try again.' });
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const item = (parsed as { errors?: FailureItem[] } | undefined)?.errors?.[0];
    const error = new ApiError(response.status, item, response.headers.get('Retry-After'));
    if (response.status === 401 && error.code === 'session_invalid' && path !== '/console/v1/session') onSignedOut?.();
    throw error;
  }
  return parsed as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {});
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, body);
export const del = <T = void>(path: string) => request<T>('DELETE', path);

export interface ListPage<T> {
  data: T[];
  metadata: { next?: string; total_size?: number };
}

/** A path with its query, from the absolute `next` link the server gives. */
function sameOriginPath(link: string): string {
  const url = new URL(link, window.location.origin);
  return `${url.pathname}${url.search}`;
}

/** Every item of a paged list: the console searches, sorts and pages them itself. */
export async function listAll<T>(path: string, query: Record<string, string | undefined> = {}, maxPages = 50): Promise<T[]> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, value);
  if (!params.has('page_size')) params.set('page_size', '100');
  let next: string | undefined = `${path}?${params}`;
  const items: T[] = [];
  for (let page = 0; next && page < maxPages; page++) {
    const body: ListPage<T> = await get<ListPage<T>>(next);
    items.push(...body.data);
    next = body.metadata.next ? sameOriginPath(body.metadata.next) : undefined;
  }
  return items;
}

export function q(value: string): string {
  return encodeURIComponent(value);
}
