import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, type ConfigInput, loadConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createKeyplane, type Keyplane, listen } from './server.js';

export interface ServeOutput {
  write(text: string): unknown;
}

/** The server could not listen on its address (in use, not permitted). */
export class ListenError extends Error {
  override name = 'ListenError';
}

/**
 * Runs the server as `keyplane server start` (and `npm start`) does, until SIGINT or SIGTERM:
 * resolves once it has stopped. Throws ConfigError, BootstrapError, DatabaseOpenError or
 * ListenError when it cannot start, having left nothing running.
 */
export async function serve(input: ConfigInput, stdout: ServeOutput & { isTTY?: boolean }): Promise<void> {
  const config = loadConfig(input);
  const logger = createLogger(config.logLevel, (line) => stdout.write(line));
  const keyplane = await createKeyplane(config, logger);
  // The first admin key is handed over before anything else can fail: once the organization
  // exists, a later start will not make another.
  try {
    announceInitialCredentials(keyplane.initialCredentials, config, stdout);
  } catch (error) {
    await keyplane.close();
    throw error;
  }
  await warnWhenNobodyCanSignIn(keyplane, config, logger).catch(async (error: unknown) => {
    await keyplane.close();
    throw error;
  });
  const server = await listen(keyplane, config.host, config.port).catch(async (error: NodeJS.ErrnoException) => {
    await keyplane.close();
    throw new ListenError(`cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}`);
  });
  // Signals are handled before 'listening' is logged: whoever waits for that line may stop the
  // server at once, and must get a clean stop rather than the default death by signal.
  const stopped = new Promise<void>((resolve, reject) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info('stopping', { signal });
      server.close().then(resolve, reject);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  logger.info('listening', { url: server.url, public_url: config.publicUrl, data_dir: config.dataDir });
  await stopped;
}

/**
 * Saves the first admin's credentials created on an empty database (the Cloud API key and the
 * console password, whichever were generated) to `initial-admin.txt` (mode 0600), and shows them
 * once on a terminal. Where standard output is not a terminal it is a log (systemd, docker), and
 * secrets never go into logs: only the file is named. What came from the environment is neither
 * saved nor shown.
 */
function announceInitialCredentials(initial: Keyplane['initialCredentials'], config: Config, stdout: ServeOutput & { isTTY?: boolean }): void {
  if (!initial) return;
  const file = join(config.dataDir, 'initial-admin.txt');
  const saved = [
    ...(initial.supplied ? [] : [`KEYPLANE_API_KEY=${initial.key}`, `KEYPLANE_API_SECRET=${initial.secret}`]),
    ...(initial.passwordSupplied ? [] : [`KEYPLANE_ADMIN_EMAIL=${initial.adminEmail}`, `KEYPLANE_ADMIN_PASSWORD=${initial.password}`]),
  ];
  if (saved.length > 0) {
    const text = [
      `# Keyplane initial admin credentials, created ${new Date().toISOString()}`,
      `# Admin user ${initial.adminId} <${initial.adminEmail}>, role OrganizationAdmin.`,
      '# Not shown again; delete this file once they are stored safely (and change the console password after signing in).',
      ...saved,
      '',
    ].join('\n');
    // On PostgreSQL nothing else needs the data directory, so it may not exist yet.
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, text, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const key = initial.supplied
    ? [`  API Key:    ${initial.key} (from KEYPLANE_BOOTSTRAP_KEY)`]
    : stdout.isTTY
      ? [`  API Key:    ${initial.key}`, `  API Secret: ${initial.secret}`]
      : [`  API Key:    ${initial.key}`, `  Its secret is in ${file} (mode 0600), and is not printed here because this output is not a terminal.`];
  const password = initial.passwordSupplied
    ? ['  Password:   from KEYPLANE_BOOTSTRAP_PASSWORD']
    : stdout.isTTY
      ? [`  Password:   ${initial.password}`]
      : [`  Its password is in ${file} (mode 0600), and is not printed here either.`];
  stdout.write(
    [
      '',
      'Keyplane created its organization and an admin user. Initial Cloud API key:',
      '',
      ...key,
      '',
      `Console sign-in at ${config.publicUrl}/ as ${initial.adminEmail}:`,
      '',
      ...password,
      '',
      ...(saved.length > 0 && stdout.isTTY ? [`Saved to ${file} (mode 0600). It will not be printed again.`] : []),
      `Log in with: keyplane login --url ${config.publicUrl}`,
      '',
      '',
    ].join('\n'),
  );
}

/**
 * A database made before the console has users without passwords, and its first start made no
 * admin password: say how to set one rather than leave the console with no way in.
 */
async function warnWhenNobodyCanSignIn(keyplane: Keyplane, config: Config, logger: Logger): Promise<void> {
  const { store } = keyplane.services;
  const users = await store.count('users', {});
  if (users === 0 || (await store.count('users', { passwordHash: null })) < users) return;
  logger.warn('no user has a console password yet', {
    hint: `run keyplane server set-password --email ${config.adminEmail} with this server's KEYPLANE_DATA_DIR or KEYPLANE_DATABASE_URL`,
  });
}
