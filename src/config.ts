import { join, resolve } from 'node:path';
import { parseQuotaOverrides, type QuotaLimits } from './domain/quotas.js';
import { isLogLevel, type LogLevel } from './logger.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './services/passwords.js';

/** Everything the server reads from its environment, checked once at start-up. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** `sqlite:<path>` (the default, under the data directory) or `postgres://…`. */
  databaseUrl: string;
  databasePoolSize: number;
  keyCacheSize: number;
  /** How often each node writes API keys' last-used times, in seconds. */
  lastUsedIntervalSeconds: number;
  publicUrl: string;
  logLevel: LogLevel;
  pepperFile: string;
  adminEmail: string;
  bootstrapKey: string | undefined;
  bootstrapSecret: string | undefined;
  /** The first admin's console password; generated when unset. */
  bootstrapPassword: string | undefined;
  /** The built console (index.html, assets/); absent or empty, `/` says how to build it. */
  consoleDir: string;
  quotas: QuotaLimits;
  maxBodyBytes: number;
  rateLimits: RateLimitSettings;
  audit: AuditSinkSettings;
}

/** Where committed audit events go besides the database, and how long the database keeps them. */
export interface AuditSinkSettings {
  /** `KEYPLANE_AUDIT=off` records nothing (for measuring what the audit log costs). */
  enabled: boolean;
  /** A JSON-lines file every event is appended to (created 0600). */
  file: string | undefined;
  /** Events are POSTed there in batches; it may hold credentials, so messages never repeat it. */
  webhookUrl: string | undefined;
  /** Sent as `Authorization: Bearer …`. */
  webhookToken: string | undefined;
  /** Events older than this many days are deleted; 0 keeps everything. */
  retentionDays: number;
}

/** Per node, in memory: each node counts only the requests it serves. */
export interface RateLimitSettings {
  /** Management requests per principal (or, unauthenticated, per source address) per minute. */
  requestsPerMinute: number;
  /** Requests a principal may make at once before the per-minute rate applies. */
  burst: number;
  /** Failed authentications per key id per minute; also the most in any minute after a pause. */
  authFailuresPerKeyPerMinute: number;
  /** Failed authentications per source address per minute. */
  authFailuresPerAddressPerMinute: number;
  /** Leak reports per source address per minute, also the burst; absent: DEFAULT_LEAK_REPORTS_PER_MINUTE. */
  leakReportsPerMinute?: number;
}

/** Leak reports need no credentials: each address may send a few, each of up to 100 secrets. */
export const DEFAULT_LEAK_REPORTS_PER_MINUTE = 10;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The variables, with what each does; `keyplane --help` and the README print this list. */
export const configVariables = {
  KEYPLANE_HOST: 'address to listen on (default 127.0.0.1)',
  KEYPLANE_PORT: 'port to listen on (default 8080)',
  KEYPLANE_DATA_DIR: 'where the SQLite database, the pepper and initial-admin.txt live (default ./.keyplane)',
  KEYPLANE_DATABASE_URL: 'sqlite:<path> (default sqlite:<data dir>/keyplane.db) or postgres://user@host:5432/db for several nodes',
  KEYPLANE_DATABASE_POOL_SIZE: 'PostgreSQL connections per node (default 10)',
  KEYPLANE_KEY_CACHE_SIZE: 'API keys each node keeps in memory for verification (default 1000000)',
  KEYPLANE_LAST_USED_INTERVAL_SECONDS: "how often each node writes API keys' last-used times (default 15; times are kept to the minute)",
  KEYPLANE_PUBLIC_URL: 'base of self/related/paging links (default http://<host>:<port>)',
  KEYPLANE_LOG_LEVEL: 'debug, info, warn, error or silent (default info)',
  KEYPLANE_PEPPER_FILE: 'the secret-hashing pepper (default <data dir>/pepper.json; created on first start)',
  KEYPLANE_ADMIN_EMAIL: 'email of the admin created on first start (default admin@keyplane.local)',
  KEYPLANE_BOOTSTRAP_KEY: "on an empty database, the admin's first Cloud API key id (16 of A-Z0-9)",
  KEYPLANE_BOOTSTRAP_SECRET: 'its secret (a valid cflt… secret, or a legacy 64-character one)',
  KEYPLANE_BOOTSTRAP_PASSWORD: "on an empty database, the admin's console password, 12 to 256 characters (default: generated, saved to initial-admin.txt)",
  KEYPLANE_CONSOLE_DIR: 'the built web console served at / (default dist/web in the package, made by npm run build)',
  KEYPLANE_QUOTAS: 'quota limits over the defaults: code=limit,code=limit',
  KEYPLANE_MAX_BODY_BYTES: 'largest request body accepted (default 65536)',
  KEYPLANE_RATE_LIMIT_PER_MINUTE: 'management requests per principal per minute, per node, in memory (default 1200)',
  KEYPLANE_RATE_LIMIT_BURST: 'requests a principal may make at once before that rate applies (default 100)',
  KEYPLANE_AUTH_FAILURES_PER_MINUTE: 'failed authentications per key id per minute, per node; then 429 (default 10)',
  KEYPLANE_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: 'failed authentications per source address per minute, per node (default 60)',
  KEYPLANE_LEAK_REPORTS_PER_MINUTE: 'leak reports (POST /v1/leaks, up to 100 secrets each) per source address per minute, per node (default 10)',
  KEYPLANE_AUDIT: 'on (default) records every management call and authentication in the audit log; off records nothing',
  KEYPLANE_AUDIT_FILE: 'append every audit event to this file as one line of JSON (created 0600; default none)',
  KEYPLANE_AUDIT_WEBHOOK_URL: 'POST audit events in batches to this http(s) URL, retried with back-off (default none)',
  KEYPLANE_AUDIT_WEBHOOK_TOKEN: 'sent to the webhook as Authorization: Bearer <token> (default none)',
  KEYPLANE_AUDIT_RETENTION_DAYS: 'audit events older than this many days are deleted, hourly; 0 keeps them all (default 365)',
} as const;

export type ConfigVariable = keyof typeof configVariables;
export type ConfigInput = Partial<Record<ConfigVariable, string | undefined>>;

/** Highest rate or burst accepted; a token bucket counts in exact integers up to this. */
const MAX_RATE = 1_000_000_000;

function wholeNumber(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return Number(text);
}

export function loadConfig(input: ConfigInput): Config {
  const get = (name: ConfigVariable) => {
    const value = input[name]?.trim();
    return value ? value : undefined;
  };
  const host = get('KEYPLANE_HOST') ?? '127.0.0.1';
  const port = wholeNumber('KEYPLANE_PORT', get('KEYPLANE_PORT') ?? '8080', 0, 65535);
  const dataDir = resolve(get('KEYPLANE_DATA_DIR') ?? '.keyplane');
  const databaseUrl = get('KEYPLANE_DATABASE_URL') ?? `sqlite:${join(dataDir, 'keyplane.db')}`;
  checkDatabaseUrl(databaseUrl);
  const linkHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const publicUrl = (get('KEYPLANE_PUBLIC_URL') ?? `http://${linkHost}:${port}`).replace(/\/+$/, '');
  try {
    const url = new URL(publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`KEYPLANE_PUBLIC_URL must be an http(s) URL, not "${publicUrl}"`);
  }
  const logLevel = get('KEYPLANE_LOG_LEVEL') ?? 'info';
  if (!isLogLevel(logLevel)) throw new ConfigError(`KEYPLANE_LOG_LEVEL must be debug, info, warn, error or silent, not "${logLevel}"`);
  const auditFile = get('KEYPLANE_AUDIT_FILE');
  const quotas = parseQuotaOverrides(get('KEYPLANE_QUOTAS') ?? '');
  if (!quotas.ok) throw new ConfigError(`KEYPLANE_QUOTAS: ${quotas.error}`);
  return {
    host,
    port,
    dataDir,
    databaseUrl,
    publicUrl,
    logLevel,
    pepperFile: resolve(get('KEYPLANE_PEPPER_FILE') ?? join(dataDir, 'pepper.json')),
    adminEmail: get('KEYPLANE_ADMIN_EMAIL') ?? 'admin@keyplane.local',
    bootstrapKey: get('KEYPLANE_BOOTSTRAP_KEY'),
    bootstrapSecret: get('KEYPLANE_BOOTSTRAP_SECRET'),
    bootstrapPassword: checkBootstrapPassword(input.KEYPLANE_BOOTSTRAP_PASSWORD),
    consoleDir: resolve(get('KEYPLANE_CONSOLE_DIR') ?? DEFAULT_CONSOLE_DIR),
    quotas: quotas.limits,
    databasePoolSize: wholeNumber('KEYPLANE_DATABASE_POOL_SIZE', get('KEYPLANE_DATABASE_POOL_SIZE') ?? '10', 1, 1000),
    keyCacheSize: wholeNumber('KEYPLANE_KEY_CACHE_SIZE', get('KEYPLANE_KEY_CACHE_SIZE') ?? '1000000', 0, 100_000_000),
    lastUsedIntervalSeconds: wholeNumber('KEYPLANE_LAST_USED_INTERVAL_SECONDS', get('KEYPLANE_LAST_USED_INTERVAL_SECONDS') ?? '15', 1, 3600),
    maxBodyBytes: wholeNumber('KEYPLANE_MAX_BODY_BYTES', get('KEYPLANE_MAX_BODY_BYTES') ?? '65536', 1024, 16 * 1024 * 1024),
    rateLimits: {
      requestsPerMinute: wholeNumber('KEYPLANE_RATE_LIMIT_PER_MINUTE', get('KEYPLANE_RATE_LIMIT_PER_MINUTE') ?? '1200', 1, MAX_RATE),
      burst: wholeNumber('KEYPLANE_RATE_LIMIT_BURST', get('KEYPLANE_RATE_LIMIT_BURST') ?? '100', 1, MAX_RATE),
      authFailuresPerKeyPerMinute: wholeNumber('KEYPLANE_AUTH_FAILURES_PER_MINUTE', get('KEYPLANE_AUTH_FAILURES_PER_MINUTE') ?? '10', 1, MAX_RATE),
      authFailuresPerAddressPerMinute: wholeNumber(
        'KEYPLANE_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE',
        get('KEYPLANE_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE') ?? '60',
        1,
        MAX_RATE,
      ),
      ...leakReportsSetting(get('KEYPLANE_LEAK_REPORTS_PER_MINUTE')),
    },
    audit: {
      enabled: onOrOff('KEYPLANE_AUDIT', get('KEYPLANE_AUDIT') ?? 'on'),
      file: auditFile === undefined ? undefined : resolve(auditFile),
      webhookUrl: checkWebhookUrl(get('KEYPLANE_AUDIT_WEBHOOK_URL')),
      webhookToken: checkWebhookToken(get('KEYPLANE_AUDIT_WEBHOOK_TOKEN')),
      retentionDays: wholeNumber('KEYPLANE_AUDIT_RETENTION_DAYS', get('KEYPLANE_AUDIT_RETENTION_DAYS') ?? '365', 0, 100_000),
    },
  };
}

/** The package's own build of the console: `npm run build` writes it there. */
const DEFAULT_CONSOLE_DIR = join(import.meta.dirname, '..', 'dist', 'web');

/** Taken as given (spaces count), never repeated in an error. */
function checkBootstrapPassword(password: string | undefined): string | undefined {
  if (password === undefined || password === '') return undefined;
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new ConfigError(`KEYPLANE_BOOTSTRAP_PASSWORD must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long, not ${length}`);
  }
  return password;
}

function onOrOff(name: string, text: string): boolean {
  if (text !== 'on' && text !== 'off') throw new ConfigError(`${name} must be on or off, not "${text}"`);
  return text === 'on';
}

/** The URL may carry credentials (user info, a query token), so errors never repeat it. */
function checkWebhookUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('KEYPLANE_AUDIT_WEBHOOK_URL is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`KEYPLANE_AUDIT_WEBHOOK_URL must be an http(s) URL; "${parsed.protocol}" is not supported`);
  }
  // fetch refuses such URLs, and would say so with the password in its message.
  if (parsed.username || parsed.password) {
    throw new ConfigError('KEYPLANE_AUDIT_WEBHOOK_URL must not hold a user name or password; give a token in KEYPLANE_AUDIT_WEBHOOK_TOKEN');
  }
  return url;
}

/** A header value: printable ASCII only, so it cannot break the request; errors never repeat it. */
function checkWebhookToken(token: string | undefined): string | undefined {
  if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigError('KEYPLANE_AUDIT_WEBHOOK_TOKEN must be printable ASCII without spaces');
  }
  return token;
}

export type DatabaseLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** Which backend a database URL names. The URL may hold a password, so errors never repeat it. */
export function databaseLocation(url: string): DatabaseLocation {
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: url.slice('sqlite:'.length) };
  return { kind: 'postgres', url };
}

export function checkDatabaseUrl(url: string, name = 'KEYPLANE_DATABASE_URL'): void {
  if (url.startsWith('sqlite:')) {
    if (url.length === 'sqlite:'.length) throw new ConfigError(`${name}: sqlite: needs a path, as in sqlite:./keyplane.db`);
    return;
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError(`${name} must be sqlite:<path> or postgres://…; "${url.split(':')[0]}:" is not supported`);
  }
  try {
    new URL(url);
  } catch {
    throw new ConfigError(`${name} is not a valid postgres:// URL`);
  }
}

/** The leak-report limit when one is set; left out otherwise, and RateLimits applies DEFAULT_LEAK_REPORTS_PER_MINUTE. */
function leakReportsSetting(text: string | undefined): Pick<RateLimitSettings, 'leakReportsPerMinute'> {
  return text === undefined ? {} : { leakReportsPerMinute: wholeNumber('KEYPLANE_LEAK_REPORTS_PER_MINUTE', text, 1, MAX_RATE) };
}
