import { type Command, InvalidArgumentError, Option } from 'commander';
import { type CliIo, UsageError } from '../io.js';
import { type Field, outputOption, type OutputFormat, printDone, printList, printObject } from '../output.js';
import { Session } from '../session.js';
import { aboutOne, confirmDelete, examples, inFlagTerms } from './common.js';

/** A cluster as cmk/v2, srcm/v3 and ksqldbcm/v2 answer it; each API group fills in its own fields. */
interface ClusterJson {
  id: string;
  metadata: { created_at: string };
  spec: {
    display_name: string;
    cloud: string;
    region: string;
    environment: { id: string };
    availability?: string;
    config?: { kind: string; cku?: number };
    kafka_bootstrap_endpoint?: string;
    http_endpoint?: string;
    package?: string;
    csu?: number;
    use_detailed_processing_log?: boolean;
    kafka_cluster?: { id: string };
    credential_identity?: { id: string };
  };
  status: { phase: string; http_endpoint?: string; storage?: number; topic_prefix?: string };
}

interface ClusterField extends Field<ClusterJson> {
  /** Left out of a description when the cluster has no such value (a CKU count on a Basic cluster). */
  onlyWhenSet?: boolean;
}

interface CreateOptions {
  environment?: string;
  output: OutputFormat;
}

interface KafkaCreateOptions extends CreateOptions {
  cloud: string;
  region: string;
  type: string;
  availability: string;
  cku?: number;
}

interface SchemaRegistryCreateOptions extends CreateOptions {
  cloud: string;
  region: string;
  package: string;
}

interface KsqlCreateOptions extends CreateOptions {
  cluster: string;
  csu?: number;
  credentialIdentity?: string;
  logExcludeRows?: boolean;
}

interface DeleteOptions {
  force?: boolean;
  environment?: string;
  output: OutputFormat;
}

/** What sets one API group apart: its path, its noun, its columns and the flags of a create. */
interface ClusterGroup<O extends CreateOptions> {
  /** The top-level command: `kafka`, `schema-registry` or `ksql`. */
  command: string;
  summary: string;
  path: string;
  noun: string;
  idExample: string;
  listFields: readonly ClusterField[];
  /** Shown after the list fields by describe and create. */
  moreFields: readonly ClusterField[];
  createDescription: string;
  createExamples: readonly string[];
  createOptions: () => Option[];
  /** The spec fields particular to the group, from the create flags; throws a UsageError for a bad combination. */
  createSpec: (options: O) => Record<string, unknown>;
  /** The create flag behind each spec field particular to the group, for the server's refusals. */
  createFlags: Readonly<Record<string, string>>;
  deleteDescription: string;
}

const CLOUDS = ['aws', 'gcp', 'azure'] as const;

const commonCreateFlags = {
  'spec.display_name': '<name>',
  'spec.environment.id': '--environment',
  'spec.cloud': '--cloud',
  'spec.region': '--region',
};

const environmentField: ClusterField = { header: 'Environment', key: 'environment', value: (c) => c.spec.environment.id };
const createdField: ClusterField = { header: 'Created', key: 'created', value: (c) => c.metadata.created_at };
const idField: ClusterField = { header: 'ID', key: 'id', value: (c) => c.id };
const nameField: ClusterField = { header: 'Name', key: 'name', value: (c) => c.spec.display_name };
const cloudField: ClusterField = { header: 'Cloud', key: 'cloud', value: (c) => c.spec.cloud.toLowerCase() };
const regionField: ClusterField = { header: 'Region', key: 'region', value: (c) => c.spec.region };

function positiveInteger(text: string): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1) throw new InvalidArgumentError('must be a whole number of 1 or more');
  return Number(text);
}

function cloudOption(): Option {
  return new Option('--cloud <cloud>', 'the cloud provider').choices(CLOUDS).makeOptionMandatory();
}

function regionOption(what: string): Option {
  return new Option('--region <region>', `the cloud region ${what}, e.g. us-east-1`).makeOptionMandatory();
}

/** `SINGLE_ZONE` as Confluent's CLI shows it: `single-zone`. */
function flagCase(value: string | undefined): string | undefined {
  return value?.toLowerCase().replaceAll('_', '-');
}

const KAFKA_TYPES = ['basic', 'standard', 'enterprise', 'dedicated', 'freight'] as const;
const KAFKA_AVAILABILITIES = ['single-zone', 'multi-zone', 'low', 'high'] as const;

const kafka: ClusterGroup<KafkaCreateOptions> = {
  command: 'kafka',
  summary: 'manage Kafka clusters',
  path: '/cmk/v2/clusters',
  noun: 'Kafka cluster',
  idExample: 'lkc-…',
  listFields: [
    idField,
    nameField,
    { header: 'Type', key: 'type', value: (c) => c.spec.config?.kind.toUpperCase() },
    cloudField,
    regionField,
    { header: 'Availability', key: 'availability', value: (c) => flagCase(c.spec.availability) },
    // Confluent's CLI reports a provisioned Kafka cluster as UP.
    { header: 'Status', key: 'status', value: (c) => (c.status.phase === 'PROVISIONED' ? 'UP' : c.status.phase) },
    { header: 'Endpoint', key: 'endpoint', value: (c) => c.spec.kafka_bootstrap_endpoint },
  ],
  moreFields: [
    { header: 'CKU', key: 'cku', value: (c) => c.spec.config?.cku, onlyWhenSet: true },
    { header: 'REST Endpoint', key: 'rest_endpoint', value: (c) => c.spec.http_endpoint },
    environmentField,
    createdField,
  ],
  createDescription:
    'Register a Kafka cluster in an environment, so that API keys can be scoped\n' +
    'to it. Keyplane keeps the record and answers for its keys; it does not run\n' +
    'the cluster.',
  createExamples: [
    'keyplane kafka cluster create orders --cloud aws --region us-east-1',
    'keyplane kafka cluster create payments --cloud gcp --region us-central1 --type dedicated --cku 2 --availability multi-zone',
  ],
  createOptions: () => [
    cloudOption(),
    regionOption('the cluster runs in'),
    new Option('--type <type>', 'the cluster type').choices(KAFKA_TYPES).default('basic'),
    new Option('--availability <availability>', 'the availability').choices(KAFKA_AVAILABILITIES).default('single-zone'),
    new Option('--cku <count>', 'Confluent Kafka Units, for a dedicated cluster (default 1)').argParser(positiveInteger),
  ],
  createSpec: (o) => {
    if (o.cku !== undefined && o.type !== 'dedicated') throw new UsageError('--cku is for dedicated clusters only', 'add --type dedicated, or leave --cku out');
    const kind = o.type.charAt(0).toUpperCase() + o.type.slice(1);
    return {
      cloud: o.cloud,
      region: o.region,
      availability: o.availability.toUpperCase().replaceAll('-', '_'),
      config: { kind, ...(o.cku === undefined ? {} : { cku: o.cku }) },
    };
  },
  createFlags: { 'spec.availability': '--availability', 'spec.config.kind': '--type', 'spec.config.cku': '--cku' },
  deleteDescription:
    'Delete a Kafka cluster with the API keys scoped to it, its ACLs, the role\n' +
    'bindings on it, and the ksqlDB clusters that run on it. This cannot be undone.',
};

const SCHEMA_REGISTRY_PACKAGES = ['essentials', 'advanced'] as const;

const schemaRegistry: ClusterGroup<SchemaRegistryCreateOptions> = {
  command: 'schema-registry',
  summary: 'manage Schema Registry clusters',
  path: '/srcm/v3/clusters',
  noun: 'Schema Registry cluster',
  idExample: 'lsrc-…',
  listFields: [
    idField,
    nameField,
    cloudField,
    regionField,
    { header: 'Package', key: 'package', value: (c) => c.spec.package?.toLowerCase() },
    { header: 'Endpoint URL', key: 'endpoint_url', value: (c) => c.spec.http_endpoint },
  ],
  moreFields: [{ header: 'Status', key: 'status', value: (c) => c.status.phase }, environmentField, createdField],
  createDescription:
    'Register the Schema Registry of an environment (one per environment), so that\n' +
    'API keys can be scoped to it. Keyplane keeps the record and answers for its\n' +
    'keys; it does not run the registry.',
  createExamples: ['keyplane schema-registry cluster create registry --cloud aws --region us-east-1 --package advanced'],
  createOptions: () => [
    cloudOption(),
    regionOption('the registry runs in'),
    new Option('--package <package>', 'the Stream Governance package').choices(SCHEMA_REGISTRY_PACKAGES).default('essentials'),
  ],
  createSpec: (o) => ({ cloud: o.cloud, region: o.region, package: o.package.toUpperCase() }),
  createFlags: { 'spec.package': '--package' },
  deleteDescription: 'Delete a Schema Registry cluster with the API keys scoped to it and the role bindings on it. This cannot be undone.',
};

const ksql: ClusterGroup<KsqlCreateOptions> = {
  command: 'ksql',
  summary: 'manage ksqlDB clusters',
  path: '/ksqldbcm/v2/clusters',
  noun: 'ksqlDB cluster',
  idExample: 'lksqlc-…',
  listFields: [
    idField,
    nameField,
    { header: 'Topic Prefix', key: 'topic_prefix', value: (c) => c.status.topic_prefix },
    { header: 'Kafka', key: 'kafka', value: (c) => c.spec.kafka_cluster?.id },
    { header: 'Storage', key: 'storage', value: (c) => c.status.storage },
    { header: 'Endpoint', key: 'endpoint', value: (c) => c.status.http_endpoint },
    { header: 'Status', key: 'status', value: (c) => c.status.phase },
    // A word, not a list mark: Confluent's CLI shows true or false here.
    {
      header: 'Detailed Processing Log',
      key: 'detailed_processing_log',
      value: (c) => (c.spec.use_detailed_processing_log === undefined ? undefined : String(c.spec.use_detailed_processing_log)),
    },
  ],
  moreFields: [
    { header: 'CSU', key: 'csu', value: (c) => c.spec.csu },
    { header: 'Credential Identity', key: 'credential_identity', value: (c) => c.spec.credential_identity?.id, onlyWhenSet: true },
    cloudField,
    regionField,
    environmentField,
    createdField,
  ],
  createDescription:
    'Register a ksqlDB cluster that runs on a Kafka cluster of the same environment\n' +
    '(in its cloud and region), so that API keys can be scoped to it. Keyplane keeps\n' +
    'the record and answers for its keys; it does not run the cluster.',
  createExamples: ['keyplane ksql cluster create analytics --cluster lkc-123456 --csu 8 --credential-identity sa-123456'],
  createOptions: () => [
    new Option('--cluster <id>', 'the Kafka cluster it runs on (lkc-…)').makeOptionMandatory(),
    new Option('--csu <count>', 'Confluent Streaming Units: 1, 2, 4, 8, 12 or 28 (default 4)').argParser(positiveInteger),
    new Option('--credential-identity <id>', 'the user or service account it acts as (u-… or sa-…)'),
    new Option('--log-exclude-rows', 'leave row data out of the processing log'),
  ],
  createSpec: (o) => ({
    kafka_cluster: { id: o.cluster },
    ...(o.csu === undefined ? {} : { csu: o.csu }),
    ...(o.credentialIdentity === undefined ? {} : { credential_identity: { id: o.credentialIdentity } }),
    use_detailed_processing_log: !o.logExcludeRows,
  }),
  createFlags: { 'spec.kafka_cluster.id': '--cluster', 'spec.csu': '--csu', 'spec.credential_identity.id': '--credential-identity' },
  deleteDescription: 'Delete a ksqlDB cluster with the API keys scoped to it and the role bindings on it. This cannot be undone.',
};

/** `kafka cluster`, `schema-registry cluster` and `ksql cluster`. */
export function registerClusterCommands(program: Command, io: CliIo): void {
  registerClusterGroup(program, io, kafka);
  registerClusterGroup(program, io, schemaRegistry);
  registerClusterGroup(program, io, ksql);
}

function environmentOption(): Option {
  return new Option('--environment <env>', 'the environment (default: the one chosen with "keyplane environment use")');
}

function registerClusterGroup<O extends CreateOptions>(program: Command, io: CliIo, group: ClusterGroup<O>): void {
  const { noun } = group;
  const cluster = program
    .command(group.command)
    .summary(group.summary)
    .description(`${group.summary.charAt(0).toUpperCase()}${group.summary.slice(1)}`)
    .command('cluster')
    .summary(`create, list, describe and delete ${noun}s`)
    .description(`Manage ${noun}s. Each lives in an environment: --environment, else the one chosen with "keyplane environment use".`);

  const create = cluster
    .command('create')
    .summary(`register a ${noun}`)
    .description(group.createDescription)
    .argument('<name>', `the name of the ${noun}`);
  for (const option of group.createOptions()) create.addOption(option);
  create
    .addOption(environmentOption())
    .addOption(outputOption())
    .addHelpText('after', examples(...group.createExamples))
    .action((name: string, options: O) => createCluster(io, group, name, options));

  cluster
    .command('list')
    .summary(`list the ${noun}s of an environment`)
    .description(`List the ${noun}s of an environment that you may see`)
    .addOption(environmentOption())
    .addOption(outputOption())
    .action((options: { environment?: string; output: OutputFormat }) => listClusters(io, group, options));

  cluster
    .command('describe')
    .summary(`describe a ${noun}`)
    .description(`Describe a ${noun}`)
    .argument('<id>', `the ${noun} (${group.idExample})`)
    .addOption(environmentOption())
    .addOption(outputOption())
    .action((id: string, options: { environment?: string; output: OutputFormat }) => describeCluster(io, group, id, options));

  cluster
    .command('delete')
    .summary(`delete a ${noun}`)
    .description(group.deleteDescription)
    .argument('<id>', `the ${noun} (${group.idExample})`)
    .option('--force', 'delete without asking')
    .addOption(environmentOption())
    .addOption(outputOption())
    .action((id: string, options: DeleteOptions) => deleteCluster(io, group, id, options));
}

function describeFields(group: ClusterGroup<never>, cluster: ClusterJson): ClusterField[] {
  return [...group.listFields, ...group.moreFields].filter((f) => !f.onlyWhenSet || (f.value(cluster) ?? null) !== null);
}

function clusterPath(group: ClusterGroup<never>, id: string): string {
  return `${group.path}/${encodeURIComponent(id)}`;
}

function getCluster(session: Session, group: ClusterGroup<never>, id: string, environment: string): Promise<ClusterJson> {
  return aboutOne(
    { noun: group.noun, id, listCommand: `keyplane ${group.command} cluster list --environment ${environment}`, where: `in environment "${environment}"` },
    session.client.get<ClusterJson>(clusterPath(group, id), { environment }),
  );
}

async function createCluster<O extends CreateOptions>(io: CliIo, group: ClusterGroup<O>, name: string, options: O): Promise<void> {
  const spec = group.createSpec(options);
  const session = Session.open(io);
  const environment = session.environment(options.environment);
  const cluster = await session.client
    .post<ClusterJson>(group.path, { spec: { display_name: name, environment: { id: environment }, ...spec } })
    .catch((error: unknown) => {
      throw inFlagTerms(error, { ...commonCreateFlags, ...group.createFlags });
    });
  printObject(io, options.output, describeFields(group, cluster), cluster);
}

async function listClusters(io: CliIo, group: ClusterGroup<never>, options: { environment?: string; output: OutputFormat }): Promise<void> {
  const session = Session.open(io);
  const environment = session.environment(options.environment);
  const clusters = await session.client
    .list<ClusterJson>(group.path, { environment })
    .catch((error: unknown) => {
      throw inFlagTerms(error, { environment: '--environment' });
    });
  printList(io, options.output, group.listFields, clusters);
}

async function describeCluster(io: CliIo, group: ClusterGroup<never>, id: string, options: { environment?: string; output: OutputFormat }): Promise<void> {
  const session = Session.open(io);
  const cluster = await getCluster(session, group, id, session.environment(options.environment));
  printObject(io, options.output, describeFields(group, cluster), cluster);
}

async function deleteCluster(io: CliIo, group: ClusterGroup<never>, id: string, options: DeleteOptions): Promise<void> {
  const session = Session.open(io);
  const environment = session.environment(options.environment);
  const cluster = await getCluster(session, group, id, environment);
  await confirmDelete(io, options.force, group.noun, [cluster.id], `${group.command} cluster delete`);
  await session.client.delete(clusterPath(group, cluster.id), { environment });
  printDone(io, options.output, `Deleted ${group.noun} "${cluster.id}".`, { deleted: cluster.id });
}
