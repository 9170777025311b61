import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Config } from './config.js';
import { createApp } from './http/app.js';
import { createLogger, type Logger } from './logger.js';
import { bootstrap, type BootstrapResult, checkBootstrapCredentials } from './services/bootstrap.js';
import { createContext, type ServiceContext } from './services/context.js';
import { createSecretHasher } from './services/secret-hasher.js';
import { loadOrCreatePeppers } from './storage/pepper-file.js';
import { openSqliteStore } from './storage/sqlite/open-sqlite.js';
import type { Store } from './storage/store.js';

export interface Keyplane {
  services: ServiceContext;
  app: ReturnType<typeof createApp>['app'];
  initialCredentials: BootstrapResult['initialCredentials'];
  close(): Promise<void>;
}

export async function openStore(config: Config): Promise<Store> {
  return openSqliteStore(config.databaseUrl.slice('sqlite:'.length));
}

/** Opens the store, bootstraps an empty database and builds the app; listening is separate. */
export async function createKeyplane(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Keyplane> {
  checkBootstrapCredentials(config);
  const peppers = loadOrCreatePeppers(config.pepperFile);
  const store = await openStore(config);
  try {
    const deps = { store, hasher: createSecretHasher(peppers), quotas: config.quotas };
    const boot = await bootstrap(deps, {
      adminEmail: config.adminEmail,
      bootstrapKey: config.bootstrapKey,
      bootstrapSecret: config.bootstrapSecret,
    });
    const services = createContext(deps, boot.organization.id);
    const { app } = createApp({ services, logger, http: { publicUrl: config.publicUrl, maxBodyBytes: config.maxBodyBytes } });
    return { services, app, initialCredentials: boot.initialCredentials, close: () => store.close() };
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

export async function listen(keyplane: Keyplane, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: keyplane.app.fetch, hostname: host, port }, (info: AddressInfo) => {
      const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${shownHost}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }).then(() => keyplane.close()),
      });
    });
    server.once('error', reject);
  });
}
