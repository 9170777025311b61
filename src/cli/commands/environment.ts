import { type Command, Option } from 'commander';
import { type CliIo, UsageError } from '../io.js';
import { type Field, outputOption, type OutputFormat, printDone, printList, printObject } from '../output.js';
import { Session } from '../session.js';
import { aboutOne, confirmDelete, examples, inFlagTerms } from './common.js';

/** An environment as `/org/v2/environments` answers it. */
interface EnvironmentJson {
  id: string;
  display_name: string;
  stream_governance_config?: { package: string };
}

interface EnvironmentRow {
  environment: EnvironmentJson;
  current: boolean;
}

const environmentFields: Field<EnvironmentRow>[] = [
  { header: 'Current', key: 'is_current', value: (r) => r.current },
  { header: 'ID', key: 'id', value: (r) => r.environment.id },
  { header: 'Name', key: 'name', value: (r) => r.environment.display_name },
  { header: 'Stream Governance Package', key: 'stream_governance_package', value: (r) => r.environment.stream_governance_config?.package },
];

const GOVERNANCE_PACKAGES = ['essentials', 'advanced'] as const;

interface CreateOptions {
  governancePackage?: string;
  output: OutputFormat;
}

interface UpdateOptions {
  name?: string;
  governancePackage?: string;
  output: OutputFormat;
}

interface DeleteOptions {
  force?: boolean;
  output: OutputFormat;
}

export function registerEnvironmentCommands(program: Command, io: CliIo): void {
  const environment = program
    .command('environment')
    .summary('create, list, choose and delete environments')
    .description('Manage environments: the groups that Kafka clusters, Schema Registries, ksqlDB clusters and Flink regions live in');

  environment
    .command('create')
    .summary('create an environment')
    .description('Create an environment')
    .argument('<name>', 'the name of the environment')
    .addOption(governancePackageOption())
    .addOption(outputOption())
    .addHelpText('after', examples('keyplane environment create production', 'keyplane environment create staging --governance-package advanced'))
    .action((name: string, options: CreateOptions) => create(io, name, options));

  environment
    .command('list')
    .summary('list environments')
    .description('List the environments you may see; the one in use ("keyplane environment use") is marked *')
    .addOption(outputOption())
    .action((options: { output: OutputFormat }) => list(io, options.output));

  environment
    .command('describe')
    .summary('describe an environment')
    .description('Describe an environment')
    .argument('<id>', 'the environment (env-…)')
    .addOption(outputOption())
    .action((id: string, options: { output: OutputFormat }) => describe(io, id, options.output));

  environment
    .command('update')
    .summary("change an environment's name or Stream Governance package")
    .description("Change an environment's name, or upgrade its Stream Governance package (a package is never downgraded)")
    .argument('<id>', 'the environment (env-…)')
    .option('--name <name>', 'the new name')
    .addOption(governancePackageOption())
    .addOption(outputOption())
    .addHelpText('after', examples('keyplane environment update env-123456 --name production'))
    .action((id: string, options: UpdateOptions) => update(io, id, options));

  environment
    .command('delete')
    .summary('delete an environment and everything in it')
    .description(
      'Delete an environment with everything in it: its Kafka clusters, Schema Registry\n' +
        'and ksqlDB clusters, the API keys scoped to them, and the role bindings on it.\n' +
        'This cannot be undone.',
    )
    .argument('<id>', 'the environment (env-…)')
    .option('--force', 'delete without asking')
    .addOption(outputOption())
    .action((id: string, options: DeleteOptions) => remove(io, id, options));

  environment
    .command('use')
    .summary('choose the environment later commands work in')
    .description(
      'Choose the environment that commands needing one (kafka cluster, schema-registry\n' +
        'cluster, ksql cluster, Flink API keys) use when --environment is not given.\n' +
        'It is saved with the current login.',
    )
    .argument('<id>', 'the environment (env-…)')
    .addOption(outputOption())
    .addHelpText('after', examples('keyplane environment use env-123456', 'keyplane kafka cluster list'))
    .action((id: string, options: { output: OutputFormat }) => use(io, id, options.output));
}

function governancePackageOption(): Option {
  return new Option('--governance-package <package>', 'the Stream Governance package').choices(GOVERNANCE_PACKAGES);
}

function environmentPath(id: string): string {
  return `/org/v2/environments/${encodeURIComponent(id)}`;
}

function getEnvironment(session: Session, id: string): Promise<EnvironmentJson> {
  return aboutOne({ noun: 'environment', id, listCommand: 'keyplane environment list' }, session.client.get<EnvironmentJson>(environmentPath(id)));
}

function rowOf(session: Session, environment: EnvironmentJson): EnvironmentRow {
  return { environment, current: session.context?.environment === environment.id };
}

function governanceConfig(pkg: string | undefined): { stream_governance_config?: { package: string } } {
  return pkg === undefined ? {} : { stream_governance_config: { package: pkg.toUpperCase() } };
}

async function create(io: CliIo, name: string, options: CreateOptions): Promise<void> {
  const session = Session.open(io);
  const environment = await session.client
    .post<EnvironmentJson>('/org/v2/environments', { display_name: name, ...governanceConfig(options.governancePackage) })
    .catch((error: unknown) => {
      throw inFlagTerms(error, { display_name: '<name>', 'stream_governance_config.package': '--governance-package' });
    });
  printObject(io, options.output, environmentFields, rowOf(session, environment));
}

async function list(io: CliIo, output: OutputFormat): Promise<void> {
  const session = Session.open(io);
  const environments = await session.client.list<EnvironmentJson>('/org/v2/environments');
  printList(io, output, environmentFields, environments.map((e) => rowOf(session, e)));
}

async function describe(io: CliIo, id: string, output: OutputFormat): Promise<void> {
  const session = Session.open(io);
  printObject(io, output, environmentFields, rowOf(session, await getEnvironment(session, id)));
}

async function update(io: CliIo, id: string, options: UpdateOptions): Promise<void> {
  if (options.name === undefined && options.governancePackage === undefined) {
    throw new UsageError('nothing to change', 'give --name, --governance-package or both');
  }
  const session = Session.open(io);
  await getEnvironment(session, id);
  const updated = await session.client
    .patch<EnvironmentJson>(environmentPath(id), {
      ...(options.name === undefined ? {} : { display_name: options.name }),
      ...governanceConfig(options.governancePackage),
    })
    .catch((error: unknown) => {
      throw inFlagTerms(error, { display_name: '--name', 'stream_governance_config.package': '--governance-package' });
    });
  printDone(io, options.output, `Updated environment "${updated.id}".`, {
    id: updated.id,
    name: updated.display_name,
    stream_governance_package: updated.stream_governance_config?.package ?? null,
  });
}

async function remove(io: CliIo, id: string, options: DeleteOptions): Promise<void> {
  const session = Session.open(io);
  const environment = await getEnvironment(session, id);
  await confirmDelete(io, options.force, 'environment', [environment.id], 'environment delete');
  await session.client.delete(environmentPath(environment.id));
  if (session.context?.environment === environment.id) {
    session.update('forgetting the environment in use', (context) => {
      if (context.environment === environment.id) delete context.environment;
    });
  }
  printDone(io, options.output, `Deleted environment "${environment.id}".`, { deleted: environment.id });
}

async function use(io: CliIo, id: string, output: OutputFormat): Promise<void> {
  const session = Session.open(io);
  session.savedContextName('environment use');
  const environment = await getEnvironment(session, id);
  session.update('environment use', (context) => {
    context.environment = environment.id;
  });
  printDone(io, output, `Using environment "${environment.id}".`, { environment: environment.id });
}
