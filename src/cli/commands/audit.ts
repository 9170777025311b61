import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, databaseLocation, loadConfig } from '../../config.js';
import type { KyselyStore } from '../../storage/kysely-store.js';
import { databaseUrlOption, describeDatabase } from '../database-url.js';
import { CliError, type CliIo, UsageError } from '../io.js';

interface VerifyOptions {
  databaseUrl?: string;
  dataDir?: string;
  pepperFile?: string;
}

export function registerAuditCommands(program: Command, io: CliIo): void {
  const audit = program
    .command('audit')
    .summary("check the audit log's hash chains")
    .description("Work with Keyplane's audit log directly in the database");

  audit
    .command('verify')
    .summary('check that no audit event was changed, removed or cut off')
    .description(
      'Check every hash chain of the audit log: each event against its hash, each link to the event before it,\n' +
        "and each chain's end against its recorded head. The links are keyed with the pepper, so the pepper file\n" +
        'the servers use is needed. The database is only read.',
    )
    .option('--database-url <url>', 'sqlite:<path> or postgres://… (default: KEYPLANE_DATABASE_URL, else sqlite:<data dir>/keyplane.db)')
    .option('--data-dir <dir>', 'the data directory whose keyplane.db (and pepper.json) to use (default: KEYPLANE_DATA_DIR, else ./.keyplane)')
    .option('--pepper-file <file>', 'the pepper file the servers use (default: KEYPLANE_PEPPER_FILE, else <data dir>/pepper.json)')
    .addHelpText(
      'after',
      [
        '',
        'Exits 0 when every link is intact, 1 naming the first broken link otherwise.',
        '',
        'Examples:',
        '  keyplane audit verify',
        '  keyplane audit verify --database-url postgres://keyplane@db.internal:5432/keyplane --pepper-file /etc/keyplane/pepper.json',
      ].join('\n'),
    )
    .action((options: VerifyOptions) => verify(io, options));
}

function targets(io: CliIo, options: VerifyOptions): { url: string; pepperFile: string } {
  const url = options.databaseUrl === undefined ? undefined : databaseUrlOption(options.databaseUrl, '--database-url');
  try {
    const config = loadConfig({
      KEYPLANE_DATA_DIR: options.dataDir ?? io.env.KEYPLANE_DATA_DIR,
      KEYPLANE_DATABASE_URL: url ?? io.env.KEYPLANE_DATABASE_URL,
      KEYPLANE_PEPPER_FILE: options.pepperFile ?? io.env.KEYPLANE_PEPPER_FILE,
    });
    return { url: config.databaseUrl, pepperFile: config.pepperFile };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

async function verify(io: CliIo, options: VerifyOptions): Promise<void> {
  const { url, pepperFile } = targets(io, options);
  // Loading would create a new pepper file where there is none, under which nothing verifies.
  if (!existsSync(pepperFile)) {
    throw new CliError(`there is no pepper file at ${pepperFile}`, {
      suggestion: 'give the one the servers use with --pepper-file or KEYPLANE_PEPPER_FILE',
    });
  }
  // The audit and database code loads when the command runs, not whenever the CLI starts.
  const [{ auditKey }, { verifyAuditLog }, { loadOrCreatePeppers }, { databaseFailure, openDatabase, openSqliteReadOnly }] = await Promise.all([
    import('../../services/audit-log.js'),
    import('../../services/audit-verify.js'),
    import('../../storage/pepper-file.js'),
    import('../database-access.js'),
  ]);
  let key: KeyObject;
  try {
    key = auditKey(loadOrCreatePeppers(pepperFile));
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
  const location = databaseLocation(url);
  io.stdout.write(`Database: ${describeDatabase(url)}\n`);
  const store: KyselyStore =
    location.kind === 'sqlite' ? await openSqliteReadOnly(location.path) : await openDatabase(url, 'the database', { migrate: false });
  try {
    const result = await verifyAuditLog(store, key).catch((error: unknown) => {
      throw databaseFailure(error, 'the database', url);
    });
    if (!result.ok) {
      const { id, chainId, seq, problem } = result.broken;
      throw new CliError(`the audit log is broken at event ${id} (chain ${chainId}, event ${seq}): ${problem}`);
    }
    io.stdout.write(`Verified ${result.events} event${result.events === 1 ? '' : 's'} in ${result.chains} chain${result.chains === 1 ? '' : 's'}; every link is intact.\n`);
  } finally {
    await store.close();
  }
}
