import type { Command } from 'commander';
import { checkSecret } from '../../domain/secret.js';
import { CliError, type CliIo, UsageError } from '../io.js';
import { boxTable, type Field, outputOption, type OutputFormat, printData, printDone, printList, printObject } from '../output.js';
import type { ContextConfig } from '../config-file.js';
import { Session } from '../session.js';
import { aboutOne, confirmDelete, examples, named } from './common.js';
import { usersById } from './iam-user.js';

/** An API key as `/iam/v2/api-keys` answers it. */
export interface ApiKeyJson {
  id: string;
  metadata: { created_at: string };
  spec: {
    secret?: string;
    display_name: string;
    description: string;
    owner: { id: string; kind: string };
    resource: { id: string; kind: string; environment?: string };
    last_used_at?: string | null;
  };
}

interface KeyRow {
  key: ApiKeyJson;
  current: boolean;
  ownerEmail: string;
}

/** The resource types Confluent's CLI names in the Resource Type column. */
const resourceTypes: Record<string, string> = {
  Cluster: 'kafka',
  SchemaRegistry: 'schema-registry',
  ksqlDB: 'ksql',
  Region: 'flink',
  Cloud: 'cloud',
  Global: 'global',
  Tableflow: 'tableflow',
};

const keyFields: Field<KeyRow>[] = [
  { header: 'Current', key: 'current', value: (r) => r.current },
  { header: 'Key', key: 'key', value: (r) => r.key.id },
  { header: 'Description', key: 'description', value: (r) => r.key.spec.description },
  { header: 'Owner', key: 'owner', value: (r) => r.key.spec.owner.id },
  { header: 'Owner Email', key: 'owner_email', value: (r) => r.ownerEmail },
  { header: 'Resource Type', key: 'resource_type', value: (r) => resourceTypes[r.key.spec.resource.kind] ?? r.key.spec.resource.kind },
  { header: 'Resource', key: 'resource_id', value: (r) => r.key.spec.resource.id },
  { header: 'Created', key: 'created', value: (r) => r.key.metadata.created_at },
];

const lastUsedField: Field<KeyRow> = { header: 'Last Used', key: 'last_used', value: (r) => r.key.spec.last_used_at, empty: 'never' };
const environmentField: Field<KeyRow> = { header: 'Environment', key: 'environment', value: (r) => r.key.spec.resource.environment };

interface CreateOptions {
  resource: string;
  cloud?: string;
  region?: string;
  environment?: string;
  serviceAccount?: string;
  description?: string;
  use?: boolean;
  output: OutputFormat;
}

interface ListOptions {
  resource?: string;
  serviceAccount?: string;
  currentUser?: boolean;
  environment?: string;
  unusedFor?: string;
  output: OutputFormat;
}

interface StoreOptions {
  resource?: string;
  force?: boolean;
  output: OutputFormat;
}

interface RotateOptions {
  deleteOld?: boolean;
  output: OutputFormat;
}

const SECRET_WARNING = 'Save the API key and secret. The secret is not retrievable later.';

export function registerApiKeyCommands(program: Command, io: CliIo): void {
  const apiKey = program.command('api-key').summary('create, list, rotate and delete API keys').description('Manage API keys');

  apiKey
    .command('create')
    .summary('create an API key for a resource')
    .description(
      'Create an API key for a resource: a Kafka cluster (lkc-…), Schema Registry (lsrc-…), ksqlDB cluster (lksqlc-…),\n' +
        '"cloud" (a Cloud API key for the management API), "global", "tableflow", or "flink" with --cloud, --region and --environment.\n' +
        'The key belongs to --service-account, or to you. Its secret is shown once.',
    )
    .requiredOption('--resource <id>', 'the resource: lkc-…, lsrc-…, lksqlc-…, cloud, global, tableflow or flink')
    .option('--cloud <cloud>', 'for a Flink key: aws, gcp or azure')
    .option('--region <region>', 'for a Flink key: the cloud region, e.g. us-east-1')
    .option('--environment <env>', 'the resource\'s environment (needed for a Flink key; default: the one in use)')
    .option('--service-account <sa>', 'the service account to own the key (default: you)')
    .option('--description <text>', 'what the key is for')
    .option('--use', 'store the secret locally and make this the active key for its resource')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'keyplane api-key create --resource lkc-abc123 --description "prod key"',
        'keyplane api-key create --resource cloud --service-account sa-123456',
        'keyplane api-key create --resource flink --cloud aws --region us-east-1 --environment env-123456',
      ),
    )
    .action((options: CreateOptions) => create(io, options));

  apiKey
    .command('list')
    .summary('list API keys')
    .description('List the API keys you may see; the active key of each resource is marked *')
    .option('--resource <id>', 'only keys for this resource (lkc-…, cloud, …)')
    .option('--service-account <sa>', 'only keys of this service account')
    .option('--current-user', 'only your own keys')
    .option('--environment <env>', 'only keys for resources of this environment')
    .option('--unused-for <duration>', 'only keys not used for this long: 30d, 12h, 2w, 90m (never used counts as unused)')
    .addOption(outputOption())
    .addHelpText('after', examples('keyplane api-key list --resource lkc-abc123 --service-account sa-123456', 'keyplane api-key list --unused-for 30d'))
    .action((options: ListOptions) => list(io, options));

  apiKey
    .command('describe')
    .summary('describe an API key')
    .description('Describe an API key, with when it was last used')
    .argument('<key>', 'the API key')
    .addOption(outputOption())
    .action((id: string, options: { output: OutputFormat }) => describe(io, id, options.output));

  apiKey
    .command('update')
    .summary("change an API key's description")
    .description("Change an API key's description")
    .argument('<key>', 'the API key')
    .requiredOption('--description <text>', 'the new description')
    .addOption(outputOption())
    .action((id: string, options: { description: string; output: OutputFormat }) => update(io, id, options));

  apiKey
    .command('delete')
    .summary('delete API keys')
    .description('Delete one or more API keys. Whatever uses them stops working at once; this cannot be undone.')
    .argument('<keys...>', 'the API keys')
    .option('--force', 'delete without asking')
    .addOption(outputOption())
    .action((ids: string[], options: { force?: boolean; output: OutputFormat }) => remove(io, ids, options));

  apiKey
    .command('store')
    .summary('store an API key\'s secret locally')
    .description(
      "Store an API key's secret in the config file, after checking with the server that the key exists\n" +
        'and is for --resource when given, and checking the secret\'s checksum. The secret itself is not sent:\n' +
        'trying it would mark the key as used. Without <secret>, it is asked for at a terminal or read from standard input.',
    )
    .argument('<key>', 'the API key')
    .argument('[secret]', 'its secret ("-" or none: read it from standard input or ask)')
    .option('--resource <id>', 'the resource the key must be for')
    .option('--force', 'replace a secret already stored for the key')
    .addOption(outputOption())
    .action((id: string, secret: string | undefined, options: StoreOptions) => store(io, id, secret, options));

  apiKey
    .command('use')
    .summary('make a stored API key the active one for its resource')
    .description('Make a stored API key the active one for its resource (shown as * in "api-key list")')
    .argument('<key>', 'the API key; its secret must be stored ("keyplane api-key store")')
    .addOption(outputOption())
    .action((id: string, options: { output: OutputFormat }) => use(io, id, options.output));

  apiKey
    .command('rotate')
    .summary('replace an API key with a new one for the same owner and resource')
    .description(
      'Create a new API key with the same owner, resource and description, and show its secret once.\n' +
        'If the old secret was stored locally the new one replaces it. The old key is deleted with --delete-old,\n' +
        'or if you say so when asked; otherwise it keeps working until you delete it.',
    )
    .argument('<key>', 'the API key to replace')
    .option('--delete-old', 'delete the old key once the new one exists, without asking')
    .addOption(outputOption())
    .action((id: string, options: RotateOptions) => rotate(io, id, options));
}

function keyPath(id: string): string {
  return `/iam/v2/api-keys/${encodeURIComponent(id)}`;
}

function getKey(session: Session, id: string): Promise<ApiKeyJson> {
  return aboutOne({ noun: 'API key', id, listCommand: 'keyplane api-key list' }, session.client.get<ApiKeyJson>(keyPath(id)));
}

async function rows(session: Session, keys: readonly ApiKeyJson[]): Promise<KeyRow[]> {
  // Users by id; empty when the caller may not list users (the column is then blank).
  const users = keys.some((k) => k.spec.owner.kind === 'User') ? await usersById(session) : new Map<string, { email: string }>();
  const active = session.context?.active_api_keys ?? {};
  return keys.map((key) => ({
    key,
    current: active[key.spec.resource.id] === key.id,
    ownerEmail: key.spec.owner.kind === 'User' ? (users.get(key.spec.owner.id)?.email ?? '') : '<service account>',
  }));
}

/** The resource id and environment a create sends, from Confluent's flags. */
function resourceOf(session: Session, options: CreateOptions): { id: string; environment?: string } {
  const resource = options.resource.trim();
  if (resource.toLowerCase() === 'flink') {
    const missing = (['cloud', 'region'] as const).filter((flag) => !options[flag]).map((f) => `--${f}`);
    if (missing.length) throw new UsageError(`a Flink key needs ${missing.join(' and ')}`, 'e.g. --cloud aws --region us-east-1');
    return { id: `${options.cloud!.toLowerCase()}.${options.region!.toLowerCase()}`, environment: session.environment(options.environment) };
  }
  if (options.cloud || options.region) throw new UsageError('--cloud and --region are for Flink keys only (--resource flink)');
  const environment = options.environment ?? undefined;
  return environment ? { id: resource, environment } : { id: resource };
}

/** Keys that call the management API are logins, not something a resource is reached with. */
function isLoginScope(key: ApiKeyJson): boolean {
  return key.spec.resource.kind === 'Cloud' || key.spec.resource.kind === 'Global';
}

function remember(context: ContextConfig, key: ApiKeyJson, secret: string, makeActive: boolean): void {
  context.api_keys[key.id] = { secret, resource: key.spec.resource.id };
  if (makeActive) context.active_api_keys[key.spec.resource.id] = key.id;
}

function forget(context: ContextConfig, id: string): void {
  delete context.api_keys[id];
  for (const [resource, active] of Object.entries(context.active_api_keys)) if (active === id) delete context.active_api_keys[resource];
}

function secretTable(key: string, secret: string): string {
  return `${SECRET_WARNING}\n${boxTable([
    ['API Key', key],
    ['API Secret', secret],
  ])}`;
}

/**
 * Runs what follows the creation of a key. The new secret has been (or will be) printed whatever
 * happens here, so a failure must not lose it: it is reported on stderr and the command then
 * fails, after its output.
 */
async function afterCreation(io: CliIo, step: () => unknown): Promise<CliError | undefined> {
  try {
    await step();
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`keyplane: warning: ${message}\n`);
    return new CliError(`the new key was created and its secret printed, but ${message}`, { cause: error });
  }
}

async function create(io: CliIo, options: CreateOptions): Promise<void> {
  const session = Session.open(io);
  if (options.use) session.savedContextName('--use');
  const resource = resourceOf(session, options);
  const owner = options.serviceAccount ?? (await session.principal());
  const key = await session.client.post<ApiKeyJson>('/iam/v2/api-keys', {
    spec: { owner: { id: owner }, resource, ...(options.description === undefined ? {} : { description: options.description }) },
  });
  const secret = key.spec.secret!;
  if (options.output === 'human') io.stdout.write(secretTable(key.id, secret));
  else printData(io, options.output, { api_key: key.id, api_secret: secret });
  // As Confluent's CLI does, a resource key's secret is kept with the login, so that "api-key use" works next.
  const store = session.contextName !== undefined && (options.use || !isLoginScope(key));
  const failure = store ? await afterCreation(io, () => session.update('storing a secret', (c) => remember(c, key, secret, Boolean(options.use)))) : undefined;
  if (failure) throw failure;
  if (options.use && options.output === 'human') io.stdout.write(`Using API key "${key.id}" for ${key.spec.resource.id}.\n`);
}

const EARLIEST = Date.UTC(1970, 0, 1);

function sinceFor(duration: string, now: Date): string {
  const match = /^(\d{1,6})(m|h|d|w)$/.exec(duration.trim());
  if (!match) throw new UsageError(`--unused-for must be a number and a unit, such as 30d, 12h, 2w or 90m, not "${duration}"`);
  const minutes = { m: 1, h: 60, d: 1440, w: 10080 }[match[2] as 'm' | 'h' | 'd' | 'w'] * Number(match[1]);
  const since = now.getTime() - minutes * 60_000;
  if (since < EARLIEST) throw new UsageError(`--unused-for ${duration} reaches back before 1970`);
  return new Date(since).toISOString();
}

async function list(io: CliIo, options: ListOptions): Promise<void> {
  if (options.serviceAccount && options.currentUser) throw new UsageError('--service-account and --current-user cannot be used together');
  const unusedSince = options.unusedFor === undefined ? undefined : sinceFor(options.unusedFor, new Date());
  const session = Session.open(io);
  const owner = options.currentUser ? await session.principal() : options.serviceAccount;
  let keys = await session.client.list<ApiKeyJson>('/iam/v2/api-keys', {
    'spec.owner': owner,
    'spec.resource': options.resource,
    unused_since: unusedSince,
  });
  if (options.environment) keys = keys.filter((k) => k.spec.resource.environment === options.environment);
  const fields = options.unusedFor !== undefined || options.output !== 'human' ? [...keyFields, lastUsedField] : keyFields;
  printList(io, options.output, fields, await rows(session, keys));
}

async function describe(io: CliIo, id: string, output: OutputFormat): Promise<void> {
  const session = Session.open(io);
  const [row] = await rows(session, [await getKey(session, id)]);
  printObject(io, output, [...keyFields, environmentField, lastUsedField], row!);
}

async function update(io: CliIo, id: string, options: { description: string; output: OutputFormat }): Promise<void> {
  const session = Session.open(io);
  await getKey(session, id);
  await session.client.patch(keyPath(id), { spec: { description: options.description } });
  printDone(io, options.output, `Updated API key "${id}".`, { key: id, description: options.description });
}

async function remove(io: CliIo, rawIds: string[], options: { force?: boolean; output: OutputFormat }): Promise<void> {
  const ids = [...new Set(rawIds)];
  // Refused before any call when there is nobody to ask.
  if (!options.force && !io.confirm) await confirmDelete(io, false, 'API key', ids, 'api-key delete');
  const session = Session.open(io);
  // Every key is looked up first, so that a typo stops the command before anything is deleted.
  const keys = await Promise.all(ids.map((id) => getKey(session, id)));
  if (!options.force) {
    for (const key of keys) {
      const used = key.spec.last_used_at ? `last used ${key.spec.last_used_at}` : 'never used';
      const login = key.id === session.apiKey ? '; it is the key this login uses, so the CLI will need a new login' : '';
      io.stderr.write(`API key "${key.id}" (${key.spec.resource.id}) was ${used}${login}.\n`);
    }
  }
  await confirmDelete(io, options.force, 'API key', ids, 'api-key delete');
  const deleted: string[] = [];
  try {
    for (const id of ids) {
      await session.client.delete(keyPath(id));
      deleted.push(id);
    }
  } finally {
    if (deleted.length && session.contextName) session.update('forgetting deleted keys', (c) => {
        for (const id of deleted) forget(c, id);
      });
    if (deleted.length && deleted.length < ids.length) io.stderr.write(`Deleted ${named('API key', deleted)} before the failure.\n`);
  }
  printDone(io, options.output, `Deleted ${named('API key', ids)}.`, { deleted: ids });
}

async function readSecret(io: CliIo, given: string | undefined): Promise<string> {
  if (given !== undefined && given !== '-') return given;
  if (given === undefined && io.ask) return (await io.ask('API Secret: ', { hidden: true })).trim();
  if (io.readStdin) return (await io.readStdin()).trim();
  throw new UsageError('no secret given', 'pass it after the key, or pipe it in with "-"');
}

async function store(io: CliIo, id: string, given: string | undefined, options: StoreOptions): Promise<void> {
  const session = Session.open(io);
  session.savedContextName('api-key store');
  if (session.context?.api_keys[id] && !options.force) {
    throw new CliError(`a secret for API key "${id}" is already stored`, { suggestion: 'add --force to replace it' });
  }
  const secret = await readSecret(io, given);
  const shape = checkSecret(secret);
  if (!shape.ok) throw new UsageError(`that is not an API secret: ${shape.reason}`, 'check it for a typo or a missing character');
  const key = await getKey(session, id);
  const resource = key.spec.resource.id;
  if (options.resource && options.resource.toLowerCase() !== resource) {
    throw new CliError(`API key "${id}" is for ${resource}, not ${options.resource}`, { suggestion: `store it with --resource ${resource}` });
  }
  session.update('api-key store', (c) => remember(c, key, secret, false));
  printDone(io, options.output, `Stored the secret of API key "${id}" for ${resource}.`, { key: id, resource });
}

function use(io: CliIo, id: string, output: OutputFormat): void {
  const session = Session.open(io);
  session.savedContextName('api-key use');
  let resource = '';
  session.update('api-key use', (context) => {
    const stored = context.api_keys[id];
    if (!stored) throw new CliError(`the secret of API key "${id}" is not stored here`, { suggestion: `run "keyplane api-key store ${id}" first` });
    resource = stored.resource;
    context.active_api_keys[resource] = id;
  });
  printDone(io, output, `Using API key "${id}" for ${resource}.`, { key: id, resource });
}

async function rotate(io: CliIo, id: string, options: RotateOptions): Promise<void> {
  const session = Session.open(io);
  const old = await getKey(session, id);
  const { resource, owner, description, display_name } = old.spec;
  const fresh = await session.client.post<ApiKeyJson>('/iam/v2/api-keys', {
    spec: {
      owner: { id: owner.id },
      resource: { id: resource.id, ...(resource.environment ? { environment: resource.environment } : {}) },
      display_name,
      description,
    },
  });
  const secret = fresh.spec.secret!;
  const { output } = options;
  const human = output === 'human';
  if (human) io.stdout.write(`Created API key "${fresh.id}" to replace "${id}", with the same owner, resource and description.\n${secretTable(fresh.id, secret)}`);

  // The new secret is kept wherever the old one was before the old key can go away.
  const context = session.context;
  const stored = Boolean(context?.api_keys[id]) || (session.contextName !== undefined && !isLoginScope(fresh));
  const wasActive = context?.active_api_keys[resource.id] === id;
  const wasLogin = session.apiKey === id && session.contextName !== undefined;
  let failure =
    stored || wasLogin
      ? await afterCreation(io, () =>
          session.update('storing the new secret', (c) => {
            if (stored) remember(c, fresh, secret, wasActive);
            if (wasLogin) {
              c.api_key = fresh.id;
              c.api_secret = secret;
            }
          }),
        )
      : undefined;
  if (human && stored && !failure) io.stdout.write(`Stored the new secret locally${wasActive ? `; "${fresh.id}" is now the active key for ${resource.id}` : ''}.\n`);
  if (human && wasLogin && !failure) io.stdout.write(`Context "${session.contextName}" now logs in with "${fresh.id}".\n`);

  let deleteOld = Boolean(options.deleteOld) && !failure;
  if (!failure && !deleteOld && io.confirm) deleteOld = await io.confirm(`Delete the old API key "${id}" now? Whatever still uses it stops working.`);
  if (deleteOld) {
    failure = await afterCreation(io, async () => {
      await session.client.delete(keyPath(id));
      if (session.contextName) session.update('forgetting the old key', (c) => forget(c, id));
    });
  }
  const oldDeleted = deleteOld && !failure;
  if (output === 'human') {
    io.stdout.write(
      oldDeleted
        ? `Deleted the old API key "${id}".\n`
        : `The old API key "${id}" still works; delete it with "keyplane api-key delete ${id}" once nothing uses it.\n`,
    );
  } else {
    printData(io, output, { api_key: fresh.id, api_secret: secret, replaces: id, old_deleted: oldDeleted, stored });
  }
  if (failure) throw failure;
}
