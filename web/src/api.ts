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
let signedInUser: string | undefined;
let onSignedOut: (() => void) | undefined;
let recovering: Promise<boolean> | undefined;

/** The session changes are made in: its CSRF token and whose it is (undefined when signed out). */
export function setSessionCredentials(session: { csrf_token: string; user: { id: string } } | undefined): void {
  csrfToken = session?.csrf_token;
  signedInUser = session?.user.id;
}

/** Called when a request is refused because the session ended (expired or signed out elsewhere). */
export function onSessionEnded(listener: (() => void) | undefined): void {
  onSignedOut = listener;
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

const SESSION_PATH = '/console/v1/session';
const SIGN_OUT_PATH = '/console/v1/sign-out';

/**
 * After a 403 csrf_token_invalid: another tab may have signed in again, replacing the cookie.
 * Reads the session once (shared by every request refused meanwhile): the same user's new token
 * is taken and true returned; another user's session, or none, ends this tab's session.
 */
function recoverCsrfToken(): Promise<boolean> {
  recovering ??= (async () => {
    try {
      const response = await fetch(SESSION_PATH, {
        headers: { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' },
        credentials: 'same-origin',
      });
      if (response.ok) {
        const session = (await response.json()) as { csrf_token: string; user: { id: string } };
        if (signedInUser !== undefined && session.user.id === signedInUser) {
          setSessionCredentials(session);
          return true;
        }
      }
      if (response.ok || response.status === 401) {
        setSessionCredentials(undefined);
        onSignedOut?.();
      }
      return false;
    } catch {
      return false;
    } finally {
      recovering = undefined;
    }
  })();
  return recovering;
}

export async function request<T>(method: Method, path: string, body?: unknown, retried = false): Promise<T> {
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
    if (response.status === 403 && error.code === 'csrf_token_invalid' && !retried && (await recoverCsrfToken())) {
      return request<T>(method, path, body, true);
    }
    // Sign-out answers for itself: a 401 there means the session is already gone, which it wanted.
    if (response.status === 401 && error.code === 'session_invalid' && path !== SESSION_PATH && path !== SIGN_OUT_PATH) onSignedOut?.();
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

/** The most items listAll reads (50 pages of 100). */
export const LIST_LIMIT = 5000;

const truncatedLists = new WeakSet<readonly unknown[]>();

/** Whether a list stopped at LIST_LIMIT with more items left on the server. */
export function isTruncated(items: readonly unknown[]): boolean {
  return truncatedLists.has(items);
}

/** Marks `items` as cut off when `truncated`; returns it. */
export function markTruncated<T>(items: T[], truncated: boolean): T[] {
  if (truncated) truncatedLists.add(items);
  return items;
}

/** Every item of a paged list, up to LIST_LIMIT (isTruncated says when more were left): the console searches, sorts and pages them itself. */
export async function listAll<T>(path: string, query: Record<string, string | undefined> = {}, maxPages = LIST_LIMIT / 100): Promise<T[]> {
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
  return markTruncated(items, next !== undefined);
}
