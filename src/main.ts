import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, type ConfigInput, configVariables, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { createKeyplane, DatabaseOpenError, listen } from './server.js';
import { BootstrapError } from './services/bootstrap.js';

const flags = {
  host: 'KEYPLANE_HOST',
  port: 'KEYPLANE_PORT',
  'data-dir': 'KEYPLANE_DATA_DIR',
  'database-url': 'KEYPLANE_DATABASE_URL',
  'public-url': 'KEYPLANE_PUBLIC_URL',
  'log-level': 'KEYPLANE_LOG_LEVEL',
} as const;

function usage(): string {
  const nameWidth = Math.max(...Object.keys(configVariables).map((name) => name.length));
  const lines = [
    'Usage: keyplane-server [--host H] [--port P] [--data-dir D] [--database-url U] [--public-url U] [--log-level L]',
    '',
    'Serves the Keyplane API. Every flag overrides the environment variable of the same name:',
    '',
    ...Object.entries(configVariables).map(([name, text]) => `  ${name.padEnd(nameWidth)} ${text}`),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs<{ options: Record<string, { type: 'string' | 'boolean' }> }>>;
  try {
    args = parseArgs({
      options: { ...Object.fromEntries(Object.keys(flags).map((f) => [f, { type: 'string' as const }])), help: { type: 'boolean' } },
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`keyplane-server: ${(error as Error).message}\n\n${usage()}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(usage());
    return 0;
  }
  const input: ConfigInput = { ...process.env };
  for (const [flag, variable] of Object.entries(flags)) {
    const value = args.values[flag];
    if (typeof value === 'string') input[variable] = value;
  }

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`keyplane-server: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, (line) => process.stdout.write(line));

  let keyplane: Awaited<ReturnType<typeof createKeyplane>>;
  try {
    keyplane = await createKeyplane(config, logger);
  } catch (error) {
    if (error instanceof BootstrapError) {
      process.stderr.write(`keyplane-server: ${error.message}\n`);
      return 2;
    }
    if (error instanceof DatabaseOpenError) {
      process.stderr.write(`keyplane-server: ${error.message}\n`);
      return 1;
    }
    throw error;
  }

  const server = await listen(keyplane, config.host, config.port).catch(async (error: NodeJS.ErrnoException) => {
    await keyplane.close();
    process.stderr.write(`keyplane-server: cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}\n`);
    return undefined;
  });
  if (!server) return 1;

  const initial = keyplane.initialCredentials;
  if (initial?.supplied) {
    process.stdout.write(
      `\nKeyplane created its organization and admin user ${initial.adminId}; its first Cloud API key is ${initial.key} from KEYPLANE_BOOTSTRAP_KEY.\n\n`,
    );
  } else if (initial) {
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
    // Printed once, on the start that created it, straight to the terminal rather than the log.
    process.stdout.write(
      [
        '',
        'Keyplane created its organization and an admin user. Initial Cloud API key:',
        '',
        `  API Key:    ${initial.key}`,
        `  API Secret: ${initial.secret}`,
        '',
        `Saved to ${file} (mode 0600). It will not be printed again.`,
        '',
        '',
      ].join('\n'),
    );
  }
  logger.info('listening', { url: server.url, public_url: config.publicUrl, data_dir: config.dataDir });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`keyplane-server: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
