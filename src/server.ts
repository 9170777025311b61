import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { type Config, databaseLocation } from './config.js';
import { createApp } from './http/app.js';
import { type FastPathDeps, withNginxFastPath } from './http/nginx-fast-path.js';
import { createLogger, type Logger } from './logger.js';
import { type BootstrapResult, bootstrap, checkBootstrapCredentials } from './services/bootstrap.js';
import { createContext, type ServiceContext } from './services/context.js';
import { defaultInvalidationOptions, startKeyInvalidation } from './services/key-invalidation.js';
import { createSecretHasher } from './services/secret-hasher.js';
import { type KyselyStore, knownMigrations } from './storage/kysely-store.js';
import { loadOrCreatePeppers } from './storage/pepper-file.js';
import { openPostgresStore } from './storage/postgres/open-postgres.js';
import { openSqliteStore } from './storage/sqlite/open-sqlite.js';
import { describeDriverError } from './storage/store.js';

export interface Keyplane {
  services: ServiceContext;
  app: ReturnType<typeof createApp>['app'];
  /** What the data plane's fast path answers with: the app's services, buckets and logger. */
  dataPlane: FastPathDeps;
  initialCredentials: BootstrapResult['initialCredentials'];
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
  const store = await openStore(config, { logger });
  try {
    const deps = { store, hasher: createSecretHasher(peppers), quotas: config.quotas };
    const boot = await bootstrap(deps, {
      adminEmail: config.adminEmail,
      bootstrapKey: config.bootstrapKey,
      bootstrapSecret: config.bootstrapSecret,
    });
    const services = createContext({ ...deps, keyCache: { maxEntries: config.keyCacheSize } }, boot.organization.id);
    const invalidation = startKeyInvalidation(services, {
      ...defaultInvalidationOptions,
      onError: (error) => logger.warn('key cache resync failed', { cause: error instanceof Error ? error.message : String(error) }),
    });
    const { app, limits } = createApp({
      services,
      logger,
      http: { publicUrl: config.publicUrl, maxBodyBytes: config.maxBodyBytes, rateLimits: config.rateLimits },
    });
    return {
      services,
      app,
      dataPlane: { services, limits, logger },
      initialCredentials: boot.initialCredentials,
      close: async () => {
        invalidation.stop();
        await store.close();
      },
    };
  } catch (error) {
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
