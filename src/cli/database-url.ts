import { resolve } from 'node:path';
import { ConfigError, checkDatabaseUrl, databaseLocation } from '../config.js';
import { UsageError } from './io.js';

const MASK = '****';
const SECRET_PARAMS = ['password', 'sslpassword'];

/** The URL fit to print: any password in it replaced by ****. */
export function maskDatabaseUrl(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = MASK;
    for (const name of SECRET_PARAMS) if (parsed.searchParams.has(name)) parsed.searchParams.set(name, MASK);
    return parsed.toString();
  } catch {
    return `${url.split(':')[0]}://…`;
  }
}

/** The passwords a database URL carries, as written and decoded. */
function secretsOf(url: string): string[] {
  try {
    const parsed = new URL(url);
    const found = [parsed.password, ...SECRET_PARAMS.map((n) => parsed.searchParams.get(n) ?? '')].filter(Boolean);
    return found.flatMap((s) => [s, safeDecode(s)]);
  } catch {
    return [];
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `text` with every password of `urls` replaced by ****, for messages built from driver errors. */
export function scrubPasswords(text: string, urls: readonly string[]): string {
  let out = text;
  for (const secret of urls.flatMap(secretsOf).sort((a, b) => b.length - a.length)) out = out.replaceAll(secret, MASK);
  return out;
}

/** Checks a database URL given on the command line; `option` names it in the error. */
export function databaseUrlOption(url: string, option: string): string {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    throw new UsageError(`${option} must be a database URL, postgres://… or sqlite:<path>`, 'for a SQLite file, put sqlite: before its path');
  }
  try {
    checkDatabaseUrl(url, option);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  return url;
}

/** The absolute path of a SQLite database named by a path or a `sqlite:<path>` URL. */
export function sqlitePathOption(value: string, option: string): string {
  if (/^postgres(ql)?:\/\//.test(value)) {
    throw new UsageError(`${option} must be a SQLite database (a path or sqlite:<path>), not a PostgreSQL URL`);
  }
  const path = value.startsWith('sqlite:') ? value.slice('sqlite:'.length) : value;
  if (!path || path === ':memory:') throw new UsageError(`${option} needs the path of a SQLite database file`);
  return resolve(path);
}

/** A database URL as shown to the user: SQLite paths made absolute, passwords masked. */
export function describeDatabase(url: string): string {
  const location = databaseLocation(url);
  if (location.kind === 'sqlite') return location.path === ':memory:' ? 'sqlite::memory:' : `sqlite:${resolve(location.path)}`;
  return maskDatabaseUrl(url);
}
