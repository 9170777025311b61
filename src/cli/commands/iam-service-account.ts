import type { Command } from 'commander';
import { type CliIo, UsageError } from '../io.js';
import { type Field, outputOption, type OutputFormat, printDone, printList, printObject } from '../output.js';
import { Session } from '../session.js';
import { aboutOne, confirmDelete, examples, printChanged, type Target } from './common.js';

/** A service account as `/iam/v2/service-accounts` answers it. */
interface ServiceAccountJson {
  id: string;
  display_name: string;
  description: string;
}

const fields: Field<ServiceAccountJson>[] = [
  { header: 'ID', key: 'id', value: (a) => a.id },
  { header: 'Name', key: 'name', value: (a) => a.display_name },
  { header: 'Description', key: 'description', value: (a) => a.description },
];

const LIST_COMMAND = 'keyplane iam service-account list';
const target = (id: string): Target => ({ noun: 'service account', id, listCommand: LIST_COMMAND });
const accountPath = (id: string) => `/iam/v2/service-accounts/${encodeURIComponent(id)}`;

interface CreateOptions {
  description?: string;
  output: OutputFormat;
}

interface UpdateOptions {
  description?: string;
  displayName?: string;
  output: OutputFormat;
}

export function registerServiceAccountCommands(iam: Command, io: CliIo): void {
  const serviceAccount = iam
    .command('service-account')
    .alias('sa')
    .summary('create, list, update and delete service accounts')
    .description('Manage service accounts: the identities applications use, with API keys and role bindings of their own');

  serviceAccount
    .command('create')
    .summary('create a service account')
    .description('Create a service account. Its name must be unique in the organization.')
    .argument('<name>', 'the name of the service account')
    .option('--description <text>', 'what the service account is for')
    .addOption(outputOption())
    .addHelpText('after', examples('keyplane iam service-account create orders-app --description "Orders service"'))
    .action((name: string, options: CreateOptions) => create(io, name, options));

  serviceAccount
    .command('list')
    .summary('list service accounts')
    .description('List the service accounts of the organization')
    .option('--display-name <names>', 'only the service accounts with these names, comma-separated')
    .addOption(outputOption())
    .addHelpText('after', examples('keyplane iam service-account list', 'keyplane iam service-account list --display-name orders-app,payments-app'))
    .action((options: { displayName?: string; output: OutputFormat }) => list(io, options));

  serviceAccount
    .command('describe')
    .summary('describe a service account')
    .description('Describe a service account')
    .argument('<id>', 'the service account (sa-…)')
    .addOption(outputOption())
    .action((id: string, options: { output: OutputFormat }) => describe(io, id, options.output));

  serviceAccount
    .command('update')
    .summary("change a service account's description or name")
    .description("Change a service account's description, its name, or both")
    .argument('<id>', 'the service account (sa-…)')
    .option('--description <text>', 'the new description')
    .option('--display-name <name>', 'the new name; names are unique in the organization')
    .addOption(outputOption())
    .addHelpText('after', examples('keyplane iam service-account update sa-123456 --description "updated description"'))
    .action((id: string, options: UpdateOptions) => update(io, id, options));

  serviceAccount
    .command('delete')
    .summary('delete a service account')
    .description(
      'Delete a service account with its API keys and role bindings. Whatever uses its keys stops working at once; this cannot be undone.',
    )
    .argument('<id>', 'the service account (sa-…)')
    .option('--force', 'delete without asking')
    .addOption(outputOption())
    .action((id: string, options: { force?: boolean; output: OutputFormat }) => remove(io, id, options));
}

async function create(io: CliIo, name: string, options: CreateOptions): Promise<void> {
  const session = Session.open(io);
  const account = await session.client.post<ServiceAccountJson>('/iam/v2/service-accounts', {
    display_name: name,
    ...(options.description === undefined ? {} : { description: options.description }),
  });
  printObject(io, options.output, fields, account);
}

/** Comma-separated names, each once. */
function namesOf(text: string): string[] {
  return [...new Set(text.split(',').map((name) => name.trim()))].filter((name) => name !== '');
}

async function list(io: CliIo, options: { displayName?: string; output: OutputFormat }): Promise<void> {
  const names = options.displayName === undefined ? undefined : namesOf(options.displayName);
  if (names?.length === 0) throw new UsageError('--display-name needs at least one name');
  const session = Session.open(io);
  const path = '/iam/v2/service-accounts';
  // Names are unique, so one query per name finds each account once.
  const accounts = names
    ? (await Promise.all(names.map((name) => session.client.list<ServiceAccountJson>(path, { display_name: name })))).flat()
    : await session.client.list<ServiceAccountJson>(path);
  printList(io, options.output, fields, accounts);
}

async function describe(io: CliIo, id: string, output: OutputFormat): Promise<void> {
  const session = Session.open(io);
  printObject(io, output, fields, await aboutOne(target(id), session.client.get<ServiceAccountJson>(accountPath(id))));
}

async function update(io: CliIo, id: string, options: UpdateOptions): Promise<void> {
  if (options.description === undefined && options.displayName === undefined) {
    throw new UsageError('nothing to change', 'give --description, --display-name, or both');
  }
  const session = Session.open(io);
  const account = await aboutOne(
    target(id),
    session.client.patch<ServiceAccountJson>(accountPath(id), {
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(options.displayName === undefined ? {} : { display_name: options.displayName }),
    }),
  );
  printChanged(io, options.output, `Updated service account "${account.id}".`, fields, account);
}

async function remove(io: CliIo, id: string, options: { force?: boolean; output: OutputFormat }): Promise<void> {
  const session = Session.open(io);
  const account = await aboutOne(target(id), session.client.get<ServiceAccountJson>(accountPath(id)));
  await confirmDelete(io, options.force, 'service account', [account.id], 'iam service-account delete');
  await aboutOne(target(account.id), session.client.delete(accountPath(account.id)));
  printDone(io, options.output, `Deleted service account "${account.id}".`, { deleted: account.id });
}
