import type { Context } from 'hono';
import { KeyplaneError } from '../domain/errors.js';
import type { Cursor, Page, PageRequest } from '../storage/store.js';
import { link } from './presenters/common.js';
import type { AppEnv } from './types.js';

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;

/** The opaque `page_token` for the page that starts after `cursor`. */
export function encodePageToken(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

function decodeToken(token: string): Cursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string' && v.length <= 255)) {
      return { createdAt: value[0] as string, id: value[1] as string };
    }
  } catch {
    // Falls through to the error below.
  }
  return undefined;
}

/** `page_size` (default 10, at most 100) and the opaque `page_token` of a list request. */
export function readPage(c: Context<AppEnv>, maxPageSize = MAX_PAGE_SIZE): PageRequest {
  const sizeText = c.req.query('page_size')?.trim();
  let limit = DEFAULT_PAGE_SIZE;
  if (sizeText) {
    if (!/^\d{1,9}$/.test(sizeText) || Number(sizeText) < 1) {
      throw new KeyplaneError('invalid_filter', `page_size must be a whole number from 1 to ${maxPageSize}`, {
        source: { parameter: 'page_size' },
      });
    }
    limit = Math.min(Number(sizeText), maxPageSize);
  }
  const token = c.req.query('page_token')?.trim();
  if (!token) return { limit };
  const after = token.length <= 512 ? decodeToken(token) : undefined;
  if (!after) {
    throw new KeyplaneError('invalid_page_token', 'page_token is not a token this server issued; take it from metadata.next', {
      source: { parameter: 'page_token' },
    });
  }
  return { limit, after };
}

/** A Confluent list envelope with absolute `first` and `next` links that keep the request's filters. */
export function listEnvelope<T>(c: Context<AppEnv>, apiVersion: string, kind: string, page: Page<T>, data: unknown[]) {
  const url = new URL(c.req.url);
  const base = link(c, url.pathname);
  const params = new URLSearchParams(url.search);
  params.delete('page_token');
  const first = params.size ? `${base}?${params}` : base;
  let next: string | undefined;
  if (page.next) {
    params.set('page_token', encodePageToken(page.next));
    next = `${base}?${params}`;
  }
  return {
    api_version: apiVersion,
    kind,
    metadata: { first, ...(next ? { next } : {}), ...(page.total === undefined ? {} : { total_size: page.total }) },
    data,
  };
}
