import { CliError } from './io.js';

/** How long the CLI waits for any answer from the server. */
export const TIMEOUT_MS = 30_000;
const PAGE_SIZE = 100;

type Query = Record<string, string | undefined>;

/** What the server's `Failure` envelope says about one error. */
export interface ApiFailure {
  status: number;
  code: string | undefined;
  detail: string;
  field: string | undefined;
}

/** A call the server refused: printed as one line, with a suggestion that fits the status. */
export class ApiError extends CliError {
  override name = 'ApiError';

  constructor(readonly failure: ApiFailure) {
    super(messageOf(failure), { suggestion: suggestionFor(failure) });
  }
}

/** The server's detail, naming the field as `spec.description` where it names one by pointer. */
function messageOf({ field, detail }: ApiFailure): string {
  if (!field) return detail;
  const pointer = `/${field.replaceAll('.', '/')}`;
  if (detail.includes(pointer)) return detail.replaceAll(pointer, field);
  return detail.includes(field) ? detail : `${field}: ${detail}`;
}

function suggestionFor({ status, code }: ApiFailure): string | undefined {
  if (status === 401) return 'check the API key and secret, or run "keyplane login" again';
  if (status === 403 && code !== 'too_many_requests') return 'this needs a role binding the key\'s owner does not hold; ask an OrganizationAdmin';
  if (status === 429 || code === 'too_many_requests') return 'wait a little and try again';
  if (status >= 500) return 'the server failed; try again, and look at its log if it goes on';
  return undefined;
}

/**
 * Keyplane's REST API as the CLI uses it: HTTP Basic with one key, JSON in and out, and every
 * failure turned into one clear line. Secrets are sent in bodies and headers only, never in URLs.
 */
export class ApiClient {
  private readonly authorization: string;

  constructor(
    readonly url: string,
    apiKey: string,
    apiSecret: string,
  ) {
    this.authorization = `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }

  async delete(path: string, query?: Query): Promise<void> {
    await this.request('DELETE', path, { query });
  }

  /** Every item of a list, following `metadata.next` page by page. */
  async list<T>(path: string, query: Query = {}): Promise<T[]> {
    const items: T[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.get<{ data: T[]; metadata?: { next?: string | null } }>(path, {
        ...query,
        page_size: String(PAGE_SIZE),
        page_token: pageToken,
      });
      if (!Array.isArray(page?.data)) throw new CliError(`${this.url} answered ${path} without a list; is it a Keyplane server?`);
      items.push(...page.data);
      // The link names the server's public URL, which may not be the one this CLI reaches it by.
      pageToken = page.metadata?.next ? (new URL(page.metadata.next).searchParams.get('page_token') ?? undefined) : undefined;
    } while (pageToken);
    return items;
  }

  async request<T>(method: string, path: string, options: { query?: Query | undefined; body?: unknown } = {}): Promise<T> {
    const target = new URL(path.replace(/^\//, ''), this.url.endsWith('/') ? this.url : `${this.url}/`);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) target.searchParams.set(name, value);
    let response: Response;
    let text: string;
    try {
      response = await fetch(target, {
        method,
        headers: {
          authorization: this.authorization,
          accept: 'application/json',
          'user-agent': 'keyplane-cli',
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        // A redirect would carry the body, which may hold a secret, to wherever it points.
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      throw unreachable(this.url, method, error);
    }
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      throw new CliError(`${this.url} answered with a redirect${location ? ` to ${new URL(location, target).origin}` : ''}`, {
        suggestion: 'log in with the URL the server redirects to',
      });
    }
    if (!response.ok) throw new ApiError(failureOf(response, text));
    if (response.status === 204 || text === '') return undefined as T;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null) {
      throw new CliError(`${this.url} answered ${method} ${target.pathname} with something other than a JSON object; is it a Keyplane server?`);
    }
    return body as T;
  }
}

/** The server's `Failure` envelope (or, failing that, the status line) as one failure. */
export function failureOf(response: Response, text: string): ApiFailure {
  let body: { errors?: { code?: string; detail?: string; source?: { pointer?: string; parameter?: string } }[] } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = body?.errors?.[0];
  const pointer = error?.source?.pointer?.replace(/^\//, '').replaceAll('/', '.');
  return {
    status: response.status,
    code: error?.code,
    detail: error?.detail ?? `the server answered ${response.status} ${response.statusText}`.trim(),
    field: pointer || error?.source?.parameter || undefined,
  };
}

/** Failures before the request was sent, when nothing can have happened on the server. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL']);

function unreachable(url: string, method: string, error: unknown): CliError {
  if ((error as Error)?.name === 'TimeoutError') {
    return new CliError(`${url} did not answer within ${TIMEOUT_MS / 1000} seconds`, {
      suggestion: method === 'GET' ? 'check the server and the network, and try again' : 'the change may or may not have been made; look before trying again',
    });
  }
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? '';
  if (code && !NOT_SENT.has(code) && method !== 'GET') {
    return new CliError(`the connection to ${url} broke before it answered (${code})`, {
      suggestion: 'the change may or may not have been made; look before trying again',
    });
  }
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'no such host'
        : code || (cause?.message ?? (error as Error)?.message ?? 'unknown error');
  return new CliError(`cannot reach the Keyplane server at ${url} (${why})`, {
    suggestion: 'check that it is running and that the URL is right; "keyplane server start" runs one',
  });
}
