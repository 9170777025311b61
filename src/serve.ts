import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, type ConfigInput, loadConfig } from './config.js';
import { createLogger } from './logger.js';
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
  const server = await listen(keyplane, config.host, config.port).catch(async (error: NodeJS.ErrnoException) => {
    await keyplane.close();
    throw new ListenError(`cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}`);
  });
  logger.info('listening', { url: server.url, public_url: config.publicUrl, data_dir: config.dataDir });

  await new Promise<void>((resolve, reject) => {
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
}

/**
 * Saves the first admin key created on an empty database to `initial-admin.txt` (mode 0600), and
 * shows its secret once on a terminal. Where standard output is not a terminal it is a log
 * (systemd, docker), and secrets never go into logs: only the file is named.
 */
function announceInitialCredentials(initial: Keyplane['initialCredentials'], config: Config, stdout: ServeOutput & { isTTY?: boolean }): void {
  if (initial?.supplied) {
    stdout.write(
      `\nKeyplane created its organization and admin user ${initial.adminId}; its first Cloud API key is ${initial.key} from KEYPLANE_BOOTSTRAP_KEY.\n\n`,
    );
    return;
  }
  if (!initial) return;
  const file = join(config.dataDir, 'initial-admin.txt');
  const text = [
    `# Keyplane initial admin credentials, created ${new Date().toISOString()}`,
    `# Admin user ${initial.adminId} <${initial.adminEmail}>, role OrganizationAdmin.`,
    '# This Cloud API key is not shown again; delete this file once the key is stored safely.',
    `KEYPLANE_API_KEY=${initial.key}`,
    `KEYPLANE_API_SECRET=${initial.secret}`,
    '',
  ].join('\n');
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
  const shown = stdout.isTTY
    ? [`  API Key:    ${initial.key}`, `  API Secret: ${initial.secret}`, '', `Saved to ${file} (mode 0600). It will not be printed again.`]
    : [`  API Key:    ${initial.key}`, '', `Its secret is in ${file} (mode 0600), and is not printed here because this output is not a terminal.`];
  stdout.write(
    [
      '',
      'Keyplane created its organization and an admin user. Initial Cloud API key:',
      '',
      ...shown,
      `Log in with: keyplane login --url ${config.publicUrl}`,
      '',
      '',
    ].join('\n'),
  );
}
