import type { Command } from 'commander';
import { type CrnSegment, formatCrn, parseCrn } from '../../domain/crn.js';
import { type BindingScope, isRoleName, roleNames, scopeParents, wildcardScopes } from '../../domain/roles.js';
import { CliError, type CliIo, UsageError } from '../io.js';
import { type Field, outputOption, type OutputFormat, printDone, printList, printObject } from '../output.js';
import { Session } from '../session.js';
import { aboutOne, confirmDelete, examples, type Target } from './common.js';
import { usersById } from './iam-user.js';

/** A role binding as `/iam/v2/role-bindings` answers it. */
interface RoleBindingJson {
  id: string;
  principal: string;
  role_name: string;
  crn_pattern: string;
}

/** A CRN pattern split into the columns Confluent's CLI shows it in. */
interface ScopeColumns {
  environment?: string;
  cloudCluster?: string;
  clusterType?: string;
  logicalCluster?: string;
  resourceType?: string;
  name?: string;
  patternType?: 'LITERAL' | 'PREFIXED';
}

interface BindingRow {
  binding: RoleBindingJson;
  /** The principal's email when it is a user the caller may see. */
  email: string;
  scope: ScopeColumns;
}

const listFields: Field<BindingRow>[] = [
  { header: 'ID', key: 'id', value: (r) => r.binding.id },
  { header: 'Principal', key: 'principal', value: (r) => r.binding.principal },
  { header: 'Email', key: 'email', value: (r) => r.email },
  { header: 'Role', key: 'role', value: (r) => r.binding.role_name },
  { header: 'Environment', key: 'environment', value: (r) => r.scope.environment },
  { header: 'Cloud Cluster', key: 'cloud_cluster', value: (r) => r.scope.cloudCluster },
  { header: 'Cluster Type', key: 'cluster_type', value: (r) => r.scope.clusterType },
  { header: 'Logical Cluster', key: 'logical_cluster', value: (r) => r.scope.logicalCluster },
  { header: 'Resource Type', key: 'resource_type', value: (r) => r.scope.resourceType },
  { header: 'Name', key: 'name', value: (r) => r.scope.name },
  { header: 'Pattern Type', key: 'pattern_type', value: (r) => r.scope.patternType },
];

const detailFields: Field<BindingRow>[] = [...listFields, { header: 'CRN Pattern', key: 'crn_pattern', value: (r) => r.binding.crn_pattern }];

const LIST_COMMAND = 'keyplane iam rbac role-binding list';
const target = (id: string): Target => ({ noun: 'role binding', id, listCommand: LIST_COMMAND });
const bindingPath = (id: string) => `/iam/v2/role-bindings/${encodeURIComponent(id)}`;

const clusterTypes: Partial<Record<string, string>> = { kafka: 'Kafka', 'schema-registry': 'Schema Registry', ksql: 'ksqlDB' };

/** `transactional-id` → `TransactionalId`: how a CRN segment type reads as a resource type. */
const typeName = (segment: string) =>
  segment
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

/** What `--resource <Type>:<name>` may name: the named resources inside a cluster, and service accounts. */
const resourceSegments: readonly BindingScope[] = [...wildcardScopes, 'service-account'];

// Segments whose values are ids, written in lower case as the server stores them.
const idSegments = new Set(['environment', 'cloud-cluster', 'kafka', 'schema-registry', 'ksql', 'flink-region', 'service-account']);

interface ScopeOptions {
  environment?: string;
  currentEnvironment?: boolean;
  cloudCluster?: string;
  kafkaCluster?: string;
  schemaRegistryCluster?: string;
  ksqlCluster?: string;
  flinkRegion?: string;
  resource?: string;
  prefix?: boolean;
  crnPattern?: string;
}

const scopeFlags: Record<Exclude<keyof ScopeOptions, 'crnPattern'>, string> = {
  environment: '--environment',
  currentEnvironment: '--current-environment',
  cloudCluster: '--cloud-cluster',
  kafkaCluster: '--kafka-cluster',
  schemaRegistryCluster: '--schema-registry-cluster',
  ksqlCluster: '--ksql-cluster',
  flinkRegion: '--flink-region',
  resource: '--resource',
  prefix: '--prefix',
};

interface CreateOptions extends ScopeOptions {
  principal: string;
  role: string;
  output: OutputFormat;
}

interface ListOptions extends ScopeOptions {
  principal?: string;
  currentUser?: boolean;
  role?: string;
  inclusive?: boolean;
  output: OutputFormat;
}

interface DeleteOptions extends ScopeOptions {
  principal?: string;
  role?: string;
  force?: boolean;
  output: OutputFormat;
}

/** The scope flags every role-binding command takes, as Confluent's CLI names them. */
function withScopeOptions(command: Command): Command {
  return command
    .option('--environment <env>', 'the environment (env-…) of the scope')
    .option('--current-environment', 'the environment chosen with "keyplane environment use"')
    .option('--cloud-cluster <lkc>', 'a Kafka cluster (lkc-…), for roles bound on the cluster such as CloudClusterAdmin')
    .option('--kafka-cluster <lkc>', 'a Kafka cluster (lkc-…), for roles on its data, with or without --resource')
    .option('--schema-registry-cluster <lsrc>', 'a Schema Registry (lsrc-…), with --resource Subject:<name>')
    .option('--ksql-cluster <lksqlc>', 'a ksqlDB cluster (lksqlc-…)')
    .option('--flink-region <region>', 'a Flink region, e.g. aws.us-east-1')
    .option('--resource <type:name>', 'a resource: Topic:<name>, Group:<name>, TransactionalId:<name>, Subject:<name> or ServiceAccount:sa-…')
    .option('--prefix', 'treat the --resource name as a prefix: every resource whose name starts with it')
    .option('--crn-pattern <crn>', 'the scope as a CRN pattern, instead of the flags above');
}

export function registerRoleBindingCommands(iam: Command, io: CliIo): void {
  const rbac = iam.command('rbac').summary('manage role-based access control').description('Manage role-based access control');
  const roleBinding = rbac
    .command('role-binding')
    .summary('create, list and delete role bindings')
    .description('Manage role bindings: a role granted to a user or service account on a scope (organization, environment, cluster, resource)');

  withScopeOptions(
    roleBinding
      .command('create')
      .summary('create a role binding')
      .description(
        'Grant a role to a principal on a scope.\n' +
          'The scope is the organization unless flags narrow it: --environment, then one cluster (--cloud-cluster, --kafka-cluster, ' +
          '--schema-registry-cluster, --ksql-cluster or --flink-region), then --resource. ' +
          'A cluster flag without --environment uses the environment in use.\n' +
          `Roles: ${roleNames.join(', ')}.`,
      )
      .requiredOption('--principal <principal>', 'who gets the role: User:u-… (a user) or User:sa-… (a service account)')
      .requiredOption('--role <role>', 'the role, e.g. DeveloperRead'),
  )
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'keyplane iam rbac role-binding create --principal User:sa-123456 --role MetricsViewer',
        'keyplane iam rbac role-binding create --principal User:u-123456 --role EnvironmentAdmin --environment env-123456',
        'keyplane iam rbac role-binding create --principal User:u-123456 --role CloudClusterAdmin --environment env-123456 --cloud-cluster lkc-123456',
        'keyplane iam rbac role-binding create --principal User:sa-123456 --role DeveloperRead --environment env-123456 --kafka-cluster lkc-123456 --resource Topic:orders',
        'keyplane iam rbac role-binding create --principal User:sa-123456 --role DeveloperWrite --environment env-123456 --schema-registry-cluster lsrc-12345 --resource Subject:orders- --prefix',
      ),
    )
    .action((options: CreateOptions) => create(io, options));

  withScopeOptions(
    roleBinding
      .command('list')
      .summary('list role bindings')
      .description(
        'List the role bindings on a scope, named as for create (the organization when no flag narrows it). ' +
          'With --inclusive, also those on every scope inside it; with --resource and --prefix, those on every resource whose name starts with it. ' +
          '--principal and --role narrow the list.',
      )
      .option('--principal <principal>', 'only the bindings of this principal: User:u-… or User:sa-…')
      .option('--current-user', 'only your own bindings')
      .option('--role <role>', 'only bindings of this role')
      .option('--inclusive', 'also list the bindings on the scopes inside the scope'),
  )
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'keyplane iam rbac role-binding list --inclusive',
        'keyplane iam rbac role-binding list --principal User:sa-123456 --inclusive',
        'keyplane iam rbac role-binding list --role CloudClusterAdmin --environment env-123456 --cloud-cluster lkc-123456',
        'keyplane iam rbac role-binding list --current-user --environment env-123456 --inclusive',
      ),
    )
    .action((options: ListOptions) => list(io, options));

  withScopeOptions(
    roleBinding
      .command('delete')
      .summary('delete a role binding')
      .description(
        "Delete a role binding, named by its id (rb-…), or as Confluent's CLI names it: by --principal, --role and the scope flags it was created with.",
      )
      .argument('[id]', 'the role binding (rb-…)')
      .option('--principal <principal>', 'the principal of the binding, when it is not named by id')
      .option('--role <role>', 'the role of the binding, when it is not named by id')
      .option('--force', 'delete without asking'),
  )
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'keyplane iam rbac role-binding delete rb-12345',
        'keyplane iam rbac role-binding delete --principal User:sa-123456 --role DeveloperRead --environment env-123456 --kafka-cluster lkc-123456 --resource Topic:orders',
      ),
    )
    .action((id: string | undefined, options: DeleteOptions) => remove(io, id, options));
}

/** The flags of `flags` that were given, as they are spelled on the command line. */
function given<T extends object>(options: T, flags: Partial<Record<keyof T, string>>): string[] {
  return Object.entries(flags)
    .filter(([key]) => options[key as keyof T] !== undefined)
    .map(([, flag]) => flag as string);
}

function checkRole(role: string): string {
  if (!isRoleName(role)) throw new UsageError(`--role must be one of ${roleNames.join(', ')}, not "${role}"`);
  return role;
}

/** `User:u-…` or `User:sa-…`; a bare id is taken as `User:<id>`. */
function principalOf(text: string): string {
  return text.includes(':') ? text : `User:${text}`;
}

function resourceOf(text: string, prefix: boolean | undefined): { segment: BindingScope; name: string } {
  const colon = text.indexOf(':');
  const wanted = text.slice(0, Math.max(colon, 0)).toLowerCase().replaceAll(/[-_]/g, '');
  const segment = resourceSegments.find((s) => s.replaceAll('-', '') === wanted);
  const name = text.slice(colon + 1);
  if (!segment || name === '') {
    throw new UsageError(`--resource must be <type>:<name> with a type of ${resourceSegments.map(typeName).join(', ')}, not "${text}"`);
  }
  return { segment, name: prefix && !name.endsWith('*') ? `${name}*` : name };
}

/** The segments below the organization that the scope flags name; none for the organization itself. */
function scopeSegments(session: Session, options: ScopeOptions): CrnSegment[] {
  const { cloudCluster, kafkaCluster, schemaRegistryCluster, ksqlCluster, flinkRegion } = options;
  if (options.prefix && options.resource === undefined) throw new UsageError('--prefix needs --resource');
  if (options.environment !== undefined && options.currentEnvironment) {
    throw new UsageError('--environment and --current-environment cannot be used together');
  }
  if (cloudCluster !== undefined && kafkaCluster !== undefined && cloudCluster !== kafkaCluster) {
    throw new UsageError('--cloud-cluster and --kafka-cluster name different clusters', 'give one Kafka cluster');
  }
  const kafka = kafkaCluster ?? cloudCluster;
  const clusters = [
    kafka === undefined ? undefined : kafkaCluster === undefined ? '--cloud-cluster' : '--kafka-cluster',
    schemaRegistryCluster === undefined ? undefined : '--schema-registry-cluster',
    ksqlCluster === undefined ? undefined : '--ksql-cluster',
    flinkRegion === undefined ? undefined : '--flink-region',
  ].filter((flag) => flag !== undefined);
  if (clusters.length > 1) throw new UsageError(`${clusters.join(' and ')} cannot be used together`, 'a role binding is on one cluster at most');

  const inEnvironment = options.environment !== undefined || Boolean(options.currentEnvironment) || clusters.length > 0;
  const resource = options.resource === undefined ? undefined : resourceOf(options.resource, options.prefix);
  const segments: CrnSegment[] = [];
  const add = (type: string, value: string) => segments.push({ type, value: idSegments.has(type) ? value.toLowerCase() : value });
  if (resource?.segment === 'service-account') {
    if (inEnvironment) {
      throw new UsageError('a ServiceAccount resource belongs to the organization', 'leave out the environment and cluster flags');
    }
    add('service-account', resource.name);
    return segments;
  }
  const parent = resource ? scopeParents[resource.segment as Exclude<BindingScope, 'organization'>] : undefined;
  if (parent === 'kafka' && kafka === undefined) throw new UsageError(`a ${typeName(resource!.segment)} resource needs --kafka-cluster`);
  if (parent === 'schema-registry' && schemaRegistryCluster === undefined) {
    throw new UsageError('a Subject resource needs --schema-registry-cluster');
  }
  if (inEnvironment) add('environment', session.environment(options.environment));
  if (kafka !== undefined) {
    add('cloud-cluster', kafka);
    if (kafkaCluster !== undefined || resource) add('kafka', kafka);
  }
  if (schemaRegistryCluster !== undefined) add('schema-registry', schemaRegistryCluster);
  if (ksqlCluster !== undefined) add('ksql', ksqlCluster);
  if (flinkRegion !== undefined) add('flink-region', flinkRegion);
  if (resource) add(resource.segment, resource.name);
  return segments;
}

/** The organization the login key belongs to, from the CRN the server gives the key. */
async function organizationId(session: Session): Promise<string> {
  const key = await session.client.get<{ metadata: { resource_name: string } }>(`/iam/v2/api-keys/${encodeURIComponent(session.apiKey)}`);
  const organization = parseCrn(key.metadata.resource_name)?.segments.find((s) => s.type === 'organization')?.value;
  if (!organization) {
    throw new CliError(`${session.url} did not say which organization API key "${session.apiKey}" belongs to`, {
      suggestion: 'give the scope with --crn-pattern',
    });
  }
  return organization;
}

/** The CRN pattern of the scope: --crn-pattern as given, else built from the scope flags. */
async function crnPatternOf(session: Session, options: ScopeOptions): Promise<string> {
  if (options.crnPattern !== undefined) {
    const mixed = given(options, scopeFlags);
    if (mixed.length) throw new UsageError(`--crn-pattern cannot be used with ${mixed.join(', ')}`);
    return options.crnPattern;
  }
  // The flags are checked before the server is asked anything.
  const segments = scopeSegments(session, options);
  return formatCrn([{ type: 'organization', value: await organizationId(session) }, ...segments]);
}

function scopeColumns(crnPattern: string): ScopeColumns {
  const columns: ScopeColumns = {};
  for (const { type, value } of parseCrn(crnPattern)?.segments ?? []) {
    if (type === 'organization') continue;
    if (type === 'environment') columns.environment = value;
    else if (type === 'cloud-cluster') columns.cloudCluster = value;
    else if (clusterTypes[type]) {
      columns.clusterType = clusterTypes[type];
      columns.logicalCluster = value;
      // A binding on the Kafka cluster itself reads as Confluent's CLI shows it.
      if (type === 'kafka') Object.assign(columns, { resourceType: 'Cluster', name: 'kafka-cluster', patternType: 'LITERAL' });
    } else {
      const prefixed = value.endsWith('*');
      Object.assign(columns, {
        resourceType: typeName(type),
        name: prefixed ? value.slice(0, -1) : value,
        patternType: prefixed ? 'PREFIXED' : 'LITERAL',
      });
    }
  }
  return columns;
}

async function rows(session: Session, bindings: readonly RoleBindingJson[]): Promise<BindingRow[]> {
  const users = bindings.some((b) => b.principal.startsWith('User:u-')) ? await usersById(session) : new Map<string, { email: string }>();
  return bindings.map((binding) => ({
    binding,
    email: users.get(binding.principal.slice('User:'.length))?.email ?? '',
    scope: scopeColumns(binding.crn_pattern),
  }));
}

async function create(io: CliIo, options: CreateOptions): Promise<void> {
  const role = checkRole(options.role);
  const session = Session.open(io);
  const crnPattern = await crnPatternOf(session, options);
  const binding = await session.client.post<RoleBindingJson>('/iam/v2/role-bindings', {
    principal: principalOf(options.principal),
    role_name: role,
    crn_pattern: crnPattern,
  });
  const [row] = await rows(session, [binding]);
  printObject(io, options.output, detailFields, row!);
}

async function list(io: CliIo, options: ListOptions): Promise<void> {
  if (options.principal !== undefined && options.currentUser) throw new UsageError('--principal and --current-user cannot be used together');
  const role = options.role === undefined ? undefined : checkRole(options.role);
  const session = Session.open(io);
  const crnPattern = await crnPatternOf(session, options);
  const principal = options.currentUser
    ? `User:${await session.principal()}`
    : options.principal === undefined
      ? undefined
      : principalOf(options.principal);
  const bindings = await session.client.list<RoleBindingJson>('/iam/v2/role-bindings', {
    crn_pattern: options.inclusive && !crnPattern.endsWith('/*') ? `${crnPattern}/*` : crnPattern,
    principal,
    role_name: role,
  });
  printList(io, options.output, options.output === 'human' ? listFields : detailFields, await rows(session, bindings));
}

/** The binding `--principal`, `--role` and the scope flags name, as Confluent's CLI deletes one. */
async function bindingNamedByFlags(session: Session, options: DeleteOptions): Promise<RoleBindingJson> {
  if (options.principal === undefined || options.role === undefined) {
    throw new UsageError('name the role binding by its id, or by --principal, --role and its scope', `see "${LIST_COMMAND}"`);
  }
  const principal = principalOf(options.principal);
  const role = checkRole(options.role);
  const crnPattern = await crnPatternOf(session, options);
  const found = await session.client.list<RoleBindingJson>('/iam/v2/role-bindings', { crn_pattern: crnPattern, principal, role_name: role });
  // The server reads a pattern ending in * as a text prefix; the binding wanted is the one with exactly this pattern.
  const [binding] = crnPattern.endsWith('*') ? found.filter((b) => b.crn_pattern === crnPattern) : found;
  if (!binding) throw new CliError(`${principal} has no ${role} role binding on ${crnPattern}`, { suggestion: `see "${LIST_COMMAND}"` });
  return binding;
}

async function remove(io: CliIo, id: string | undefined, options: DeleteOptions): Promise<void> {
  const named = id === undefined ? [] : given(options, { principal: '--principal', role: '--role', ...scopeFlags, crnPattern: '--crn-pattern' });
  if (named.length) throw new UsageError(`a role binding named by id takes no ${named.join(', ')}`, 'give the id, or the flags, not both');
  const session = Session.open(io);
  const binding =
    id === undefined ? await bindingNamedByFlags(session, options) : await aboutOne(target(id), session.client.get<RoleBindingJson>(bindingPath(id)));
  if (!options.force && io.confirm) printObject(io, 'human', detailFields, (await rows(session, [binding]))[0]!);
  await confirmDelete(io, options.force, 'role binding', [binding.id], 'iam rbac role-binding delete');
  await aboutOne(target(binding.id), session.client.delete(bindingPath(binding.id)));
  printDone(io, options.output, `Deleted role binding "${binding.id}".`, { deleted: binding.id });
}
