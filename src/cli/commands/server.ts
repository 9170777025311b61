import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ConfigError, type ConfigInput, configVariables, databaseLocation, loadConfig } from '../../config.js';
import { databaseUrlOption } from '../database-url.js';
import { type OutputFormat, outputOption, printDone } from '../output.js';
import { CliError, type CliIo, UsageError } from '../io.js';
import { examples } from './common.js';

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

  server
    .command('set-password')
    .summary("set a user's console password directly in the database (recovery)")
    .description(
      "Set a user's console password in the database, for when nobody can sign in (the first admin's\n" +
        'password is lost, say). Every console session of that user ends. The password is asked for without\n' +
        'echo on a terminal, or read from standard input (one line) otherwise; it is never a flag.',
    )
    .requiredOption('--email <email>', 'the email of the user')
    .option('--database-url <url>', 'sqlite:<path> or postgres://… (default: KEYPLANE_DATABASE_URL, else sqlite:<data dir>/keyplane.db)')
    .option('--data-dir <dir>', 'the data directory whose keyplane.db to use (default: KEYPLANE_DATA_DIR, else ./.keyplane)')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples('keyplane server set-password --email admin@keyplane.local', 'printf %s "$NEW_PASSWORD" | keyplane server set-password --email ops@example.com'),
    )
    .action((options: SetPasswordOptions) => setPassword(io, options));
}

interface SetPasswordOptions {
  email: string;
  output: OutputFormat;
  databaseUrl?: string;
  dataDir?: string;
}

async function readNewPassword(io: CliIo): Promise<string> {
  if (io.ask) {
    const first = await io.ask('New password: ', { hidden: true });
    const again = await io.ask('Repeat it: ', { hidden: true });
    if (first !== again) throw new UsageError('the two passwords differ');
    return first;
  }
  if (io.readStdin) return (await io.readStdin()).replace(/\r?\n$/, '');
  throw new UsageError('no password given', 'run it on a terminal, or pipe the password to standard input');
}

async function setPassword(io: CliIo, options: SetPasswordOptions): Promise<void> {
  let databaseUrl: string;
  try {
    databaseUrl = loadConfig({
      KEYPLANE_DATA_DIR: options.dataDir ?? io.env.KEYPLANE_DATA_DIR,
      KEYPLANE_DATABASE_URL: options.databaseUrl === undefined ? io.env.KEYPLANE_DATABASE_URL : databaseUrlOption(options.databaseUrl, '--database-url'),
    }).databaseUrl;
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  // A mistyped --data-dir must not leave a new, empty database behind it.
  const location = databaseLocation(databaseUrl);
  if (location.kind === 'sqlite' && !existsSync(location.path)) {
    throw new CliError(`there is no database at ${location.path}`, { suggestion: 'give the data directory the server uses with --data-dir or KEYPLANE_DATA_DIR' });
  }
  const password = await readNewPassword(io);
  const [{ openDatabase, databaseFailure }, { setPasswordByEmail }, { checkPassword }, { KeyplaneError }] = await Promise.all([
    import('../database-access.js'),
    import('../../services/console-sessions.js'),
    import('../../services/passwords.js'),
    import('../../domain/errors.js'),
  ]);
  try {
    checkPassword('/password', password);
  } catch (error) {
    if (error instanceof KeyplaneError) throw new UsageError(error.detail.replace('/password', 'the password'));
    throw error;
  }
  const store = await openDatabase(databaseUrl, 'the database');
  try {
    const user = await setPasswordByEmail(store, options.email, password).catch((error: unknown) => {
      if (error instanceof KeyplaneError) throw new CliError(error.detail);
      throw databaseFailure(error, 'the database', databaseUrl);
    });
    printDone(io, options.output, `Password set for ${user.email} (${user.id}); their console sessions have ended.`, { id: user.id, email: user.email });
  } finally {
    await store.close();
  }
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
