import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { type Config, databaseLocation } from './config.js';
import { AuditRecorder } from './audit/recorder.js';
import { defaultRetentionIntervalMs, startAuditRetention } from './audit/retention.js';
import { createAuditSinks } from './audit/sinks.js';
import { crnsFor } from './domain/crn.js';
import { defaultBatcherOptions } from './dataplane/authentication-batcher.js';
import { defaultLastUsedOptions, startLastUsedRecorder } from './dataplane/last-used.js';
import { createApp } from './http/app.js';
import { registerConsoleAssets } from './http/console-assets.js';
import { type FastPathDeps, withNginxFastPath } from './http/nginx-fast-path.js';
import { createLogger, type Logger } from './logger.js';
import { startPeriodic } from './periodic.js';
import { type AuthenticationObserver, observeAll } from './services/authentication-events.js';
import { type BootstrapResult, bootstrap, checkBootstrapCredentials } from './services/bootstrap.js';
import { createAuditTrail } from './services/audit-log.js';
import { consoleKey, deleteEndedSessions } from './services/console-sessions.js';
import { prepareDummyHash } from './services/passwords.js';
import { createContext, type ServiceContext } from './services/context.js';
import { defaultInvalidationOptions, startKeyInvalidation } from './services/key-invalidation.js';
import { createSecretHasher } from './services/secret-hasher.js';
import { type KyselyStore, knownMigrations } from './storage/kysely-store.js';
import { loadOrCreatePeppers } from './storage/pepper-file.js';
import { openPostgresStore } from './storage/postgres/open-postgres.js';
import { openSqliteStore } from './storage/sqlite/open-sqlite.js';
import { describeDriverError } from './storage/store.js';

/** How often ended console sessions are deleted. */
const SESSION_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

export interface Keyplane {
  services: ServiceContext;
  app: ReturnType<typeof createApp>['app'];
  /** What the data plane's fast path answers with: the app's services, buckets and logger. */
  dataPlane: FastPathDeps;
  initialCredentials: BootstrapResult['initialCredentials'];
  /** The audit log's recorder: `flush()` writes the batched records now. */
  audit: AuditRecorder;
  close(): Promise<void>;
}

/** The configured database could not be opened; the message says why without repeating the URL. */
export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

/** The migrations this version knows, for tools that report on a database's state. */
export { knownMigrations };

export interface OpenStoreOptions {
  logger?: Logger | undefined;
  /** Default true: bring the schema up to date on opening. */
  migrate?: boolean;
  /** SQLite only: open an existing file without the right to write it. */
  readOnly?: boolean;
}

/** Opens the configured database and, unless told not to, migrates it. */
export async function openStore(
  config: Pick<Config, 'databaseUrl' | 'databasePoolSize'>,
  options: OpenStoreOptions = {},
): Promise<KyselyStore> {
  const location = databaseLocation(config.databaseUrl);
  const { logger, migrate = true, readOnly = false } = options;
  try {
    if (location.kind === 'sqlite') return await openSqliteStore(location.path, { migrate, readOnly });
    return await openPostgresStore(location.url, {
      migrate,
      poolSize: config.databasePoolSize,
      onWarning: (message, error) => logger?.warn(message, error instanceof Error ? { cause: error.message } : {}),
    });
  } catch (error) {
    const where = location.kind === 'sqlite' ? `SQLite database ${location.path}` : `PostgreSQL database at ${new URL(location.url).host}`;
    throw new DatabaseOpenError(`cannot open the ${where}: ${describeDriverError(error)}`, { cause: error });
  }
}

/** Opens the store, bootstraps an empty database and builds the app; listening is separate. */
export async function createKeyplane(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Keyplane> {
  checkBootstrapCredentials(config);
  const peppers = loadOrCreatePeppers(config.pepperFile);
  // Made while the store opens and the database is bootstrapped; awaited before the app is handed over.
  const dummyHash = prepareDummyHash();
  const store = await openStore(config, { logger });
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const deps = { store, hasher: createSecretHasher(peppers), quotas: config.quotas, consoleKey: consoleKey(peppers) };
    const boot = await bootstrap(deps, {
      adminEmail: config.adminEmail,
      bootstrapKey: config.bootstrapKey,
      bootstrapSecret: config.bootstrapSecret,
      bootstrapPassword: config.bootstrapPassword,
    });
    const warnOf = (message: string) => (error: unknown) =>
      logger.warn(message, { cause: error instanceof Error ? error.message : String(error) });
    const lastUsed = startLastUsedRecorder(store, {
      ...defaultLastUsedOptions,
      intervalMs: config.lastUsedIntervalSeconds * 1000,
      onError: warnOf('last-used write failed; kept for the next attempt'),
    });
    stops.push(() => lastUsed.stop());
    const observers: AuthenticationObserver[] = [lastUsed];
    const crn = crnsFor(boot.organization.id);
    const trail = createAuditTrail(peppers, crn.organization());
    // Started before the recorder, so stopped after it: the events it writes on stopping reach them.
    for (const sink of createAuditSinks(config.audit, logger)) {
      trail.listeners.push(sink);
      stops.push(() => sink.stop());
    }
    if (config.audit.retentionDays > 0) {
      const retention = startAuditRetention(store, {
        retentionDays: config.audit.retentionDays,
        intervalMs: defaultRetentionIntervalMs,
        now: () => new Date(),
        onDeleted: (deleted) => logger.info('expired audit events deleted', { ...deleted }),
        onError: warnOf('audit retention failed; tried again at the next run'),
      });
      stops.push(() => retention.stop());
    }
    // Sessions are deleted when presented after their end; this catches those never presented again.
    const sessionSweep = startPeriodic(
      () => deleteEndedSessions(store, new Date()),
      SESSION_SWEEP_INTERVAL_MS,
      warnOf('deleting ended console sessions failed; tried again in an hour'),
    );
    stops.push(() => sessionSweep.stop());
    const audit = new AuditRecorder(store, trail, crn, {
      ...defaultBatcherOptions,
      onError: warnOf('audit events not written; kept for the next attempt'),
    });
    stops.push(() => audit.stop());
    if (config.audit.enabled) observers.push(audit.authentications);
    const services = createContext(
      { ...deps, keyCache: { maxEntries: config.keyCacheSize }, authentications: observeAll(...observers), ...(config.audit.enabled ? { audit: trail } : {}) },
      boot.organization.id,
    );
    const invalidation = startKeyInvalidation(services, {
      ...defaultInvalidationOptions,
      onError: (error) => logger.warn('key cache resync failed', { cause: error instanceof Error ? error.message : String(error) }),
    });
    const { app, api, limits } = createApp({
      services,
      ...(config.audit.enabled ? { audit } : {}),
      logger,
      http: { publicUrl: config.publicUrl, maxBodyBytes: config.maxBodyBytes, rateLimits: config.rateLimits },
    });
    registerConsoleAssets(app, api, config.consoleDir);
    await dummyHash;
    return {
      services,
      app,
      dataPlane: { services, limits, logger },
      initialCredentials: boot.initialCredentials,
      audit,
      close: async () => {
        invalidation.stop();
        // What is pending is written before the store closes.
        await stopAll();
        await store.close();
      },
    };
  } catch (error) {
    await stopAll();
    await store.close();
    throw error;
  }
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** What the HTTP server runs for each request: the nginx endpoint's fast path, then the app. */
export function requestListener(keyplane: Pick<Keyplane, 'app' | 'dataPlane'>): RequestListener {
  return withNginxFastPath(keyplane.dataPlane, getRequestListener(keyplane.app.fetch));
}

export async function listen(keyplane: Keyplane, host: string, port: number): Promise<RunningServer> {
  const server = createServer(requestListener(keyplane));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const info = server.address() as AddressInfo;
      const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${shownHost}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }).then(() => keyplane.close()),
      });
    });
  });
}
