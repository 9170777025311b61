import type { Context } from 'hono';
import { KeyplaneError } from '../domain/errors.js';
import { queryParam } from './body.js';
import type { AppEnv } from './types.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** An RFC 3339 date-time as stored (UTC, milliseconds), or undefined when it is not a valid one. */
function parseRfc3339(text: string): string | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetHours = Number(m[9] ?? 0);
  const offsetMinutes = Number(m[10] ?? 0);
  const daysInMonth = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  if (day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) return undefined;
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const sign = m[8] === '-' ? -1 : 1;
  const iso = new Date(date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000).toISOString();
  // Stored times compare as text, which holds for four-digit years only.
  return /^\d{4}-/.test(iso) ? iso : undefined;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** A time query parameter; absent or empty means no filter, anything but an RFC 3339 date-time is refused. */
export function timeParam(c: Context<AppEnv>, name: string): string | undefined {
  const text = queryParam(c, name);
  if (text === undefined) return undefined;
  // An unencoded `+` of an offset arrives as a space (`…T10:00:00 01:00`); nothing else can end so.
  const time = text.length <= 64 ? parseRfc3339(text.replace(/ (\d{2}:\d{2})$/, '+$1')) : undefined;
  if (time === undefined) {
    throw new KeyplaneError('invalid_filter', `${name} must be an RFC 3339 date-time such as 2026-01-31T00:00:00Z`, {
      source: { parameter: name },
    });
  }
  return time;
}
