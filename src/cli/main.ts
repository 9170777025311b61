import { Command, CommanderError } from 'commander';
import { registerApiKeyCommands } from './commands/api-key.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerClusterCommands } from './commands/clusters.js';
import { registerDbCommands } from './commands/db.js';
import { registerEnvironmentCommands } from './commands/environment.js';
import { registerFlinkCommands } from './commands/flink-region.js';
import { registerIamCommands } from './commands/iam.js';
import { registerLoginCommands } from './commands/login.js';
import { registerScanCommands } from './commands/scan.js';
import { registerServerCommands } from './commands/server.js';
import { registerServiceQuotaCommands } from './commands/service-quota.js';
import { scrubPasswords } from './database-url.js';
import { version } from './version.js';
import { CliError, type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, errorLine, processIo, ReportedFailure } from './io.js';


/** The whole command tree; each command group registers itself from its own file under commands/. */
export function createProgram(io: CliIo): Command {
  const program = new Command('keyplane')
    .description('Keyplane: self-hosted API keys, service accounts and access, managed the way Confluent Cloud manages them')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .addHelpText('after', '\nRun "keyplane <command> --help" for the options of a command.');

  registerLoginCommands(program, io);
  registerApiKeyCommands(program, io);
  registerIamCommands(program, io);
  registerEnvironmentCommands(program, io);
  registerClusterCommands(program, io);
  registerFlinkCommands(program, io);
  registerServiceQuotaCommands(program, io);
  registerScanCommands(program, io);
  registerServerCommands(program, io);
  registerDbCommands(program, io);
  registerAuditCommands(program, io);

  for (const command of [program, ...descendants(program)]) {
    command.configureOutput({ outputError: (text, write) => write(usageErrorLine(text, command)) });
  }
  return program;
}

function descendants(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...descendants(c)]);
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Commander's "error: …\n(Did you mean …?)" as one keyplane error line. */
function usageErrorLine(text: string, command: Command): string {
  const [first = '', ...rest] = text.trim().split('\n');
  const message = first.replace(/^error: /, '');
  const didYouMean = rest
    .join(' ')
    .trim()
    .replace(/^\((.*)\)$/, '$1');
  const suggestion = didYouMean ? didYouMean.charAt(0).toLowerCase() + didYouMean.slice(1) : `see "${commandPath(command)} --help"`;
  return errorLine(message, suggestion);
}

const DATABASE_URL_OPTIONS = new Set(['--database-url', '--from', '--to']);

/** The values of the options that take a database URL, as `--to URL` or `--to=URL`. */
function databaseUrlArguments(argv: readonly string[]): string[] {
  return argv.flatMap((arg, i) => {
    const [name = '', value] = arg.split(/=(.*)/s);
    if (!DATABASE_URL_OPTIONS.has(name)) return [];
    return value !== undefined ? [value] : argv[i + 1] !== undefined ? [argv[i + 1]!] : [];
  });
}

/**
 * Runs one command line (without the node and script arguments) and returns the exit code:
 * 0 success, 1 failure, 2 usage error.
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  // Database URLs may hold a password; nothing printed on failure repeats it.
  const urls = [...databaseUrlArguments(argv), io.env.KEYPLANE_DATABASE_URL ?? ''].filter((a) => a.includes('://'));
  const stderr = { isTTY: Boolean(io.stderr.isTTY), write: (text: string) => io.stderr.write(scrubPasswords(text, urls)) };
  const program = createProgram({ ...io, stderr });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (error instanceof ReportedFailure) return error.exitCode;
    if (error instanceof CliError) {
      stderr.write(errorLine(error.message, error.suggestion));
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    stderr.write(errorLine(`unexpected failure: ${message}`, 'please report it, with the command that caused it'));
    return EXIT_FAILURE;
  }
}
