import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, databaseLocation, loadConfig } from '../../config.js';
import { copyDatabase, inspectDatabaseCopy, type TableComparison, type TableRows } from '../../services/database-copy.js';
import type { Store } from '../../storage/store.js';
import { databaseUrlOption, describeDatabase, sqlitePathOption } from '../database-url.js';
import { CliError, type CliIo, UsageError } from '../io.js';
import { copyProgressRenderer, tableLabel } from '../progress.js';
import { renderTable } from '../table.js';

// The database code (drivers, migrations, and the server they come with) loads when a db command
// runs, not whenever the CLI starts.
const databaseAccess = () => import('../database-access.js');

interface MigrateOptions {
  databaseUrl?: string;
  dataDir?: string;
}

interface CopyOptions {
  from: string;
  to: string;
  yes?: boolean;
}

export function registerDbCommands(program: Command, io: CliIo): void {
  const db = program
    .command('db')
    .summary('migrate the database, or copy it from SQLite to PostgreSQL')
    .description("Manage Keyplane's database: bring its schema up to date, or copy it from SQLite to PostgreSQL");

  db.command('migrate')
    .summary('bring the database schema up to date')
    .description('Bring the database schema up to date (the server also does this whenever it starts)')
    .option('--database-url <url>', 'sqlite:<path> or postgres://… (default: KEYPLANE_DATABASE_URL, else sqlite:<data dir>/keyplane.db)')
    .option('--data-dir <dir>', 'the data directory whose keyplane.db to use without a URL (default: KEYPLANE_DATA_DIR, else ./.keyplane)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  keyplane db migrate',
        '  keyplane db migrate --database-url postgres://keyplane@db.internal:5432/keyplane',
      ].join('\n'),
    )
    .action((options: MigrateOptions) => migrate(io, options));

  db.command('copy')
    .summary('copy a SQLite database into an empty PostgreSQL database')
    .description(
      'Copy everything from a SQLite database into an empty PostgreSQL database, so that several nodes can share it.\n' +
        'The source is only read. Keys keep their secrets, provided the new nodes use the same pepper file.',
    )
    .requiredOption('--from <sqlite>', 'the SQLite database to copy: a path, or sqlite:<path>')
    .requiredOption('--to <url>', 'the empty destination, postgres://user:password@host:5432/database (it is migrated first)')
    .option('-y, --yes', 'copy without asking for confirmation (needed when not at a terminal)')
    .addHelpText(
      'after',
      [
        '',
        'Stop every Keyplane server that uses the SQLite database first: writes made after the copy',
        'starts are not copied. Then start the new nodes with KEYPLANE_DATABASE_URL set to --to, and',
        'KEYPLANE_PEPPER_FILE set to the pepper file the old server used (the pepper is never in the',
        'database). A schema other than the default is chosen with ?options=-c%20search_path%3D<schema>.',
        '',
        'Example:',
        '  keyplane db copy --from .keyplane/keyplane.db --to postgres://keyplane@db.internal:5432/keyplane --yes',
      ].join('\n'),
    )
    .action((options: CopyOptions) => copy(io, options));
}

function migrateTarget(io: CliIo, options: MigrateOptions): string {
  if (options.databaseUrl !== undefined) return databaseUrlOption(options.databaseUrl, '--database-url');
  try {
    return loadConfig({
      KEYPLANE_DATA_DIR: options.dataDir ?? io.env.KEYPLANE_DATA_DIR,
      KEYPLANE_DATABASE_URL: io.env.KEYPLANE_DATABASE_URL,
    }).databaseUrl;
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

async function migrate(io: CliIo, options: MigrateOptions): Promise<void> {
  const url = migrateTarget(io, options);
  const { checkMigrationsKnown, databaseFailure, knownMigrations, openDatabase } = await databaseAccess();
  io.stdout.write(`Database: ${describeDatabase(url)}\n`);
  const store = await openDatabase(url, 'the database', { migrate: false });
  let before: string[];
  let applied: string[];
  try {
    before = (await store.appliedMigrations()) ?? [];
    checkMigrationsKnown(before, url);
    applied = await store.migrate();
  } catch (error) {
    throw databaseFailure(error, 'the database', url);
  } finally {
    await store.close();
  }
  const known = knownMigrations.length;
  const state = `${before.length + applied.length} of ${known} migration${known === 1 ? '' : 's'} applied`;
  if (applied.length === 0) {
    io.stdout.write(`Already up to date (${state}); nothing to do.\n`);
    return;
  }
  io.stdout.write(`Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}:\n`);
  for (const name of applied) io.stdout.write(`  ${name}\n`);
  io.stdout.write(`The schema is up to date (${state}).\n`);
}

async function copy(io: CliIo, options: CopyOptions): Promise<void> {
  const sourcePath = sqlitePathOption(options.from, '--from');
  const destinationUrl = databaseUrlOption(options.to, '--to');
  const target = databaseLocation(destinationUrl);
  if (target.kind === 'sqlite' && describeDatabase(destinationUrl) === `sqlite:${sourcePath}`) {
    throw new UsageError('--from and --to name the same database');
  }
  if (!options.yes && !io.confirm) {
    throw new UsageError('db copy asks before it copies, and there is no terminal to ask at', 'add --yes to copy without asking');
  }
  const shownDestination = describeDatabase(destinationUrl);

  const { openDatabase, openSqliteReadOnly } = await databaseAccess();
  const source = await openSqliteReadOnly(sourcePath);
  try {
    io.stdout.write(`Source:      sqlite:${sourcePath} (opened read-only)\nDestination: ${shownDestination}\n`);
    const destination = await openDatabase(destinationUrl, 'the destination database');
    try {
      await copyInto(io, options, source, destination, { sourcePath, destinationUrl });
    } finally {
      await destination.close();
    }
  } finally {
    await source.close();
  }
}

async function copyInto(
  io: CliIo,
  options: CopyOptions,
  source: Store,
  destination: Store,
  where: { sourcePath: string; destinationUrl: string },
): Promise<void> {
  const shownDestination = describeDatabase(where.destinationUrl);
  const { databaseFailure, rootCause } = await databaseAccess();
  const plan = await inspectDatabaseCopy(source, destination).catch((error: unknown) => {
    throw databaseFailure(error, 'the destination database', where.destinationUrl);
  });
  if (plan.occupied.length > 0) throw notEmpty(shownDestination, plan.occupied);
  if (plan.source.find((t) => t.table === 'organizations')?.rows === 0) throw sourceEmpty(where.sourcePath);
  const rows = plan.source.reduce((sum, t) => sum + t.rows, 0);
  if (!options.yes) {
    const yes = await io.confirm!(`Copy ${rows} rows in ${plan.source.length} tables into ${shownDestination}?`);
    if (!yes) throw new CliError('cancelled; nothing was copied');
  }

  io.stdout.write(`\nCopying ${rows} rows:\n`);
  const started = performance.now();
  const result = await copyDatabase(source, destination, { onProgress: copyProgressRenderer(io.stdout) }).catch(
    (error: unknown) => {
      if (io.stdout.isTTY) io.stdout.write('\n');
      const { detail, suggestion } = rootCause(error, where.destinationUrl);
      throw new CliError(`the copy failed, and the destination was left empty: ${detail}`, {
        suggestion: suggestion ?? 'fix the cause and run the same command again',
        cause: error,
      });
    },
  );
  if (!result.ok) {
    throw result.reason === 'destination_not_empty' ? notEmpty(shownDestination, result.occupied) : sourceEmpty(where.sourcePath);
  }
  const elapsed = performance.now() - started;
  const took = elapsed < 1000 ? `${Math.round(elapsed)} ms` : `${(elapsed / 1000).toFixed(1)} s`;

  io.stdout.write(`\nVerification, rows per table:\n${verificationTable(result.tables)}`);
  if (!result.verified) {
    const differing = result.tables.filter((t) => t.source !== t.destination).map((t) => tableLabel(t.table));
    throw new CliError(`row counts differ between source and destination for ${differing.join(', ')}`, {
      suggestion: 'the destination is incomplete: empty it and copy again, with every server on the source stopped',
    });
  }
  const copied = result.tables.reduce((sum, t) => sum + t.destination, 0);
  io.stdout.write(`All ${result.tables.length} tables match: ${copied} rows copied in ${took}.\n\n`);
  io.stdout.write(pepperReminder(io, where.sourcePath, shownDestination));
}

function verificationTable(tables: readonly TableComparison[]): string {
  const sum = (pick: (t: TableComparison) => number) => String(tables.reduce((n, t) => n + pick(t), 0));
  const rows = tables.map((t) => [
    tableLabel(t.table),
    String(t.source),
    String(t.destination),
    t.source === t.destination ? 'ok' : 'DIFFERS',
  ]);
  rows.push(['total', sum((t) => t.source), sum((t) => t.destination), '']);
  return renderTable(
    [{ header: 'table' }, { header: 'source', align: 'right' }, { header: 'destination', align: 'right' }, { header: '' }],
    rows,
  );
}

function pepperReminder(io: CliIo, sourcePath: string, shownDestination: string): string {
  const fromEnv = io.env.KEYPLANE_PEPPER_FILE?.trim();
  const beside = join(dirname(sourcePath), 'pepper.json');
  const pepper = fromEnv || (existsSync(beside) ? beside : undefined);
  const whence = fromEnv ? '  (from KEYPLANE_PEPPER_FILE)' : pepper ? '  (found beside the SQLite database)' : '';
  return [
    'Keys keep working with their existing secrets only where the pepper they were hashed with is',
    'used. The pepper file is never stored in the database and was not copied: give every node on',
    'the new database the same pepper file, and start them with',
    '',
    `  KEYPLANE_DATABASE_URL=${shownDestination}`,
    `  KEYPLANE_PEPPER_FILE=${pepper ?? '<the pepper file the old server used>'}${whence}`,
    '',
  ].join('\n');
}

function notEmpty(shownDestination: string, occupied: readonly TableRows[]): CliError {
  const holding = occupied.map((t) => `${tableLabel(t.table)} ${t.rows}`).join(', ');
  return new CliError(`the destination ${shownDestination} is not empty (${holding}); nothing was copied`, {
    suggestion: 'copy into a new, empty database or schema',
  });
}

function sourceEmpty(sourcePath: string): CliError {
  return new CliError(`the source sqlite:${sourcePath} holds no organization, so there is nothing to copy`, {
    suggestion: 'check --from: a server that has started once on a database has created its organization',
  });
}
