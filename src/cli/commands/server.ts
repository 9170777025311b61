import type { Command } from 'commander';
import { ConfigError, type ConfigInput, configVariables } from '../../config.js';
import { CliError, type CliIo, UsageError } from '../io.js';

const flags = {
  host: 'KEYPLANE_HOST',
  port: 'KEYPLANE_PORT',
  dataDir: 'KEYPLANE_DATA_DIR',
  databaseUrl: 'KEYPLANE_DATABASE_URL',
  publicUrl: 'KEYPLANE_PUBLIC_URL',
  logLevel: 'KEYPLANE_LOG_LEVEL',
} as const;

type StartOptions = Partial<Record<keyof typeof flags, string>>;

export function registerServerCommands(program: Command, io: CliIo): void {
  const server = program.command('server').summary('run a Keyplane server').description('Run a Keyplane server');
  const width = Math.max(...Object.keys(configVariables).map((name) => name.length));
  server
    .command('start')
    .summary('serve the API, the data plane and the console (what "npm start" runs)')
    .description(
      'Serve the Keyplane API, the data plane and the console until stopped with Ctrl-C or SIGTERM.\n' +
        'With nothing set it keeps its data in ./.keyplane (SQLite) and listens on 127.0.0.1:8080.\n' +
        'Each flag overrides the environment variable of the same name.',
    )
    .option('--host <host>', 'the address to listen on (KEYPLANE_HOST)')
    .option('--port <port>', 'the port to listen on (KEYPLANE_PORT)')
    .option('--data-dir <dir>', 'where the SQLite database and the pepper live (KEYPLANE_DATA_DIR)')
    .option('--database-url <url>', 'sqlite:<path> or postgres://… (KEYPLANE_DATABASE_URL)')
    .option('--public-url <url>', 'the base of links in responses (KEYPLANE_PUBLIC_URL)')
    .option('--log-level <level>', 'debug, info, warn or error (KEYPLANE_LOG_LEVEL)')
    .addHelpText(
      'after',
      ['', 'Environment variables:', ...Object.entries(configVariables).map(([name, text]) => `  ${name.padEnd(width)}  ${text}`)].join('\n'),
    )
    .action((options: StartOptions) => start(io, options));
}

async function start(io: CliIo, options: StartOptions): Promise<void> {
  const input: ConfigInput = { ...io.env };
  for (const [option, variable] of Object.entries(flags) as [keyof typeof flags, string][]) {
    const value = options[option];
    if (value !== undefined) input[variable as keyof ConfigInput] = value;
  }
  // Loaded only here, so that the other commands start without the server's modules.
  const [{ serve, ListenError }, { BootstrapError }, { DatabaseOpenError }] = await Promise.all([
    import('../../serve.js'),
    import('../../services/bootstrap.js'),
    import('../../server.js'),
  ]);
  try {
    await serve(input, io.stdout);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof BootstrapError) throw new UsageError(error.message);
    if (error instanceof DatabaseOpenError || error instanceof ListenError) throw new CliError(error.message);
    // The data directory or the pepper file cannot be made or read (not a directory, no permission).
    if ((error as NodeJS.ErrnoException)?.syscall) throw new CliError((error as Error).message, { suggestion: 'check --data-dir and KEYPLANE_PEPPER_FILE' });
    throw error;
  }
}
