import { badField, invalidField, KeyplaneError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { type CloudProvider, isCloudProvider } from '../domain/regions.js';
import { type RegisteredResourceType, registeredResourceTypes } from '../domain/resources.js';
import type { BindingScope } from '../domain/roles.js';
import { checkText, textLimits } from '../domain/text.js';
import type { Resource } from '../storage/schema.js';
import type { Page, PageRequest, Store } from '../storage/store.js';
import { blanket, type Caller, ensure, namedIds } from './access.js';
import { removeBindingsOn, removeClusterAcls } from './access-removal.js';
import { notFound, type ServiceContext, timestamp } from './context.js';
import { removeApiKeys } from './key-removal.js';
import { ensureMayAssign, principalRef, requirePrincipal } from './principals.js';

/** Kafka cluster settings Confluent accepts (cmk/v2). */
export const kafkaAvailabilities = ['SINGLE_ZONE', 'MULTI_ZONE', 'LOW', 'HIGH'] as const;
export const kafkaClusterKinds = ['Basic', 'Standard', 'Enterprise', 'Dedicated', 'Freight'] as const;
/** Schema Registry packages (srcm/v3). */
export const schemaRegistryPackages = ['ESSENTIALS', 'ADVANCED'] as const;
/** The sizes a ksqlDB cluster can have, in Confluent Streaming Units (ksqldbcm/v2). */
export const ksqldbCsuSizes = [1, 2, 4, 8, 12, 28] as const;

export type KafkaClusterKind = (typeof kafkaClusterKinds)[number];

export interface KafkaClusterConfig {
  kind: KafkaClusterKind;
  /** Dedicated clusters only. */
  cku?: number;
}

/** Per-type settings, kept as JSON in `resources.attributes`; each type uses its own subset. */
export interface ResourceAttributes {
  availability?: string;
  config?: KafkaClusterConfig;
  package?: string;
  csu?: number;
  kafkaClusterId?: string;
  useDetailedProcessingLog?: boolean;
  credentialIdentityId?: string;
}

export interface RegisteredResource {
  id: string;
  type: RegisteredResourceType;
  environmentId: string;
  displayName: string;
  cloud: CloudProvider;
  region: string;
  attributes: ResourceAttributes;
  createdAt: string;
  updatedAt: string;
}

export interface CreateResourceInput {
  displayName?: string | undefined;
  environmentId?: string | undefined;
  /** Optional for ksqlDB, which runs where its Kafka cluster runs. */
  cloud?: string | undefined;
  region?: string | undefined;
  availability?: string | undefined;
  config?: { kind: string; cku?: number | undefined } | undefined;
  package?: string | undefined;
  csu?: number | undefined;
  kafkaClusterId?: string | undefined;
  useDetailedProcessingLog?: boolean | undefined;
  credentialIdentityId?: string | undefined;
}

/**
 * A partial update. Fields that cannot change may be repeated unchanged (clients send back what
 * they read) but not changed.
 */
export interface UpdateResourceInput {
  displayName?: string | undefined;
  availability?: string | undefined;
  config?: { kind: string; cku?: number | undefined } | undefined;
  package?: string | undefined;
  environmentId?: string | undefined;
  cloud?: string | undefined;
  region?: string | undefined;
  csu?: number | undefined;
  kafkaClusterId?: string | undefined;
}

const REGION_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;

function parseAttributes(text: string): ResourceAttributes {
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as ResourceAttributes;
  } catch {
    // A row written by something else; its settings are shown as absent rather than failing.
  }
  return {};
}

function fromRow(row: Resource): RegisteredResource {
  const cloud = row.cloud.toUpperCase();
  return {
    id: row.id,
    type: row.type as RegisteredResourceType,
    environmentId: row.environmentId,
    displayName: row.displayName,
    cloud: isCloudProvider(cloud) ? cloud : 'AWS',
    region: row.region,
    attributes: parseAttributes(row.attributes),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function checkCloud(value: string): CloudProvider {
  const cloud = value.trim().toUpperCase();
  if (!isCloudProvider(cloud)) throw invalidField('/spec/cloud', `spec.cloud must be AWS, GCP or AZURE, not '${value}'`);
  return cloud;
}

function checkRegion(value: string): string {
  const region = value.trim().toLowerCase();
  if (!REGION_RE.test(region)) {
    throw invalidField('/spec/region', 'spec.region must be a cloud region name such as us-east-1 (letters, digits and -)');
  }
  return region;
}

function oneOf<T extends string>(pointer: string, allowed: readonly T[], value: string): T {
  const found = allowed.find((a) => a.toLowerCase() === value.trim().toLowerCase());
  if (!found) throw invalidField(pointer, `${pointer} must be one of ${allowed.join(', ')}, not '${value}'`);
  return found;
}

function checkKafkaConfig(config: { kind: string; cku?: number | undefined }): KafkaClusterConfig {
  const kind = oneOf('/spec/config/kind', kafkaClusterKinds, config.kind);
  if (kind !== 'Dedicated') {
    if (config.cku !== undefined) throw invalidField('/spec/config/cku', 'Only a Dedicated cluster has a CKU count');
    return { kind };
  }
  const cku = config.cku ?? 1;
  if (!Number.isInteger(cku) || cku < 1 || cku > 152) {
    throw invalidField('/spec/config/cku', 'spec.config.cku must be a whole number from 1 to 152');
  }
  return { kind, cku };
}

function checkCsu(csu: number): number {
  if (!(ksqldbCsuSizes as readonly number[]).includes(csu)) {
    throw invalidField('/spec/csu', `spec.csu must be one of ${ksqldbCsuSizes.join(', ')}`);
  }
  return csu;
}

function required<T>(pointer: string, value: T | undefined): T {
  if (value === undefined) throw badField(pointer, `${pointer} is required`);
  return value;
}

async function requireEnvironment(store: Store, id: string): Promise<string> {
  const envId = id.trim().toLowerCase();
  if (!envId || !(await store.get('environments', envId))) {
    throw invalidField('/spec/environment/id', `The environment '${id}' does not exist`);
  }
  return envId;
}

/** The Kafka cluster a ksqlDB cluster runs on: it must exist in the ksqlDB cluster's environment. */
async function requireKafkaCluster(store: Store, id: string, environmentId: string): Promise<RegisteredResource> {
  const row = await store.get('resources', id.trim().toLowerCase());
  if (row?.type !== 'kafka') {
    throw invalidField('/spec/kafka_cluster/id', `The Kafka cluster '${id}' does not exist`);
  }
  if (row.environmentId !== environmentId) {
    throw invalidField(
      '/spec/kafka_cluster/id',
      `The Kafka cluster '${row.id}' is in environment '${row.environmentId}', not '${environmentId}'`,
    );
  }
  return fromRow(row);
}

/** How authorization names each registered type: the operations' object type and the CRN segment. */
const access: Record<RegisteredResourceType, { objectType: string; scope: BindingScope }> = {
  kafka: { objectType: 'KafkaCluster', scope: 'cloud-cluster' },
  'schema-registry': { objectType: 'SchemaRegistry', scope: 'schema-registry' },
  ksqldb: { objectType: 'KsqlCluster', scope: 'ksql' },
};

function operation(type: RegisteredResourceType, action: 'Create' | 'Describe' | 'Alter' | 'Delete'): string {
  return `${access[type].objectType}:${action}`;
}

/** The CRN a registered resource is named by in role bindings. */
export function resourceCrn(ctx: ServiceContext, type: RegisteredResourceType, environmentId: string, id: string): string {
  if (type === 'kafka') return ctx.crn.kafkaCluster(environmentId, id);
  if (type === 'schema-registry') return ctx.crn.schemaRegistry(environmentId, id);
  return ctx.crn.ksqldbCluster(environmentId, id);
}

function notFoundError(type: RegisteredResourceType, id: string): KeyplaneError {
  const { notFound: code, noun } = registeredResourceTypes[type];
  return notFound(code, noun, id);
}

/** Schema Registry is one per environment, as in Confluent Cloud. */
async function refuseSecondSchemaRegistry(tx: Store, environmentId: string, path: string): Promise<void> {
  await tx.lock(`schema-registry:${environmentId}`);
  const existing = await tx.find('resources', { type: 'schema-registry', environmentId });
  if (existing) {
    throw new KeyplaneError(
      'resource_already_exists',
      `Environment '${environmentId}' already has a Schema Registry, '${existing.id}'`,
      { location: `${path}/${existing.id}` },
    );
  }
}

/**
 * Registers a Kafka cluster, Schema Registry or ksqlDB cluster. `path` is the collection path
 * the resource is served under, for the `Location` of a conflicting one.
 */
export async function createResource(
  ctx: ServiceContext,
  caller: Caller,
  type: RegisteredResourceType,
  input: CreateResourceInput,
  path: string,
): Promise<RegisteredResource> {
  const displayName = checkText(
    '/spec/display_name',
    required('/spec/display_name', input.displayName),
    textLimits.displayName,
    { required: true },
  );
  const environmentInput = required('/spec/environment/id', input.environmentId);
  const givenCloud = input.cloud === undefined ? undefined : checkCloud(input.cloud);
  const givenRegion = input.region === undefined ? undefined : checkRegion(input.region);
  const attributes: ResourceAttributes = {};
  if (type === 'kafka') {
    attributes.availability = oneOf('/spec/availability', kafkaAvailabilities, input.availability ?? 'SINGLE_ZONE');
    attributes.config = checkKafkaConfig(input.config ?? { kind: 'Basic' });
  } else if (type === 'schema-registry') {
    attributes.package = oneOf('/spec/package', schemaRegistryPackages, input.package ?? 'ESSENTIALS');
  } else {
    attributes.csu = checkCsu(input.csu ?? 4);
    attributes.useDetailedProcessingLog = input.useDetailedProcessingLog ?? true;
    required('/spec/kafka_cluster/id', input.kafkaClusterId);
  }
  return ctx.store.transaction(async (tx) => {
    const environmentId = await requireEnvironment(tx, environmentInput);
    ensure(ctx, caller, operation(type, 'Create'), ctx.crn.environment(environmentId));
    let cloud = givenCloud;
    let region = givenRegion;
    if (type === 'ksqldb') {
      const kafka = await requireKafkaCluster(tx, input.kafkaClusterId!, environmentId);
      if (cloud !== undefined && cloud !== kafka.cloud) {
        throw invalidField('/spec/cloud', `A ksqlDB cluster runs in the cloud of its Kafka cluster, ${kafka.cloud}`);
      }
      if (region !== undefined && region !== kafka.region) {
        throw invalidField('/spec/region', `A ksqlDB cluster runs in the region of its Kafka cluster, ${kafka.region}`);
      }
      cloud = kafka.cloud;
      region = kafka.region;
      attributes.kafkaClusterId = kafka.id;
      if (input.credentialIdentityId !== undefined) {
        // The app acts as that principal. Permission first: a refused caller learns nothing of
        // whether the principal exists.
        ensureMayAssign(ctx, caller, principalRef(input.credentialIdentityId, '/spec/credential_identity/id'));
        const principal = await requirePrincipal(tx, input.credentialIdentityId, '/spec/credential_identity/id');
        attributes.credentialIdentityId = principal.id;
      }
    } else if (type === 'schema-registry') {
      await refuseSecondSchemaRegistry(tx, environmentId, path);
    }
    const now = timestamp(ctx);
    const row: Resource = {
      id: newId(registeredResourceTypes[type].idKind, ctx.randomBytes),
      type,
      environmentId,
      displayName,
      cloud: required('/spec/cloud', cloud),
      region: required('/spec/region', region),
      attributes: JSON.stringify(attributes),
      createdAt: now,
      updatedAt: now,
    };
    await tx.insert('resources', row);
    return fromRow(row);
  });
}

/**
 * The resources of `type` in an environment that the caller may describe: all of them when it
 * may describe every one in the organization or in that environment, else those its bindings name.
 */
export async function listResources(
  ctx: ServiceContext,
  caller: Caller,
  type: RegisteredResourceType,
  environmentId: string,
  page: PageRequest,
): Promise<Page<RegisteredResource>> {
  const envId = environmentId.trim().toLowerCase();
  if (!(await ctx.store.get('environments', envId))) {
    throw new KeyplaneError('invalid_filter', `The environment '${environmentId}' does not exist`, {
      source: { parameter: 'environment' },
    });
  }
  const describe = operation(type, 'Describe');
  const everywhere = blanket(ctx, caller, describe, access[type].scope);
  const visible = everywhere.organization
    ? {}
    : {
        anyOf: [
          { environmentId: everywhere.environments },
          // Every row listed is in `envId`, so that is the environment a named id's CRN is built in.
          { id: namedIds(ctx, caller, access[type].scope, describe, (id) => resourceCrn(ctx, type, envId, id)) },
        ],
      };
  const result = await ctx.store.list('resources', { type, environmentId: envId, ...visible }, page);
  return { ...result, items: result.items.map(fromRow) };
}

async function findResource(
  store: Store,
  type: RegisteredResourceType,
  id: string,
  environmentId: string | undefined,
): Promise<RegisteredResource> {
  const row = await store.get('resources', id.trim().toLowerCase());
  // Another environment's resource is as invisible as a missing one.
  if (!row || row.type !== type || (environmentId !== undefined && row.environmentId !== environmentId.toLowerCase())) {
    throw notFoundError(type, id);
  }
  return fromRow(row);
}

/** `environmentId`, when given, must be the resource's environment. */
export async function getResource(
  ctx: ServiceContext,
  caller: Caller,
  type: RegisteredResourceType,
  id: string,
  environmentId?: string,
): Promise<RegisteredResource> {
  const resource = await findResource(ctx.store, type, id, environmentId);
  ensure(ctx, caller, operation(type, 'Describe'), resourceCrn(ctx, type, resource.environmentId, resource.id));
  return resource;
}

function refuseChange(pointer: string, sent: string | number | undefined, current: string | number | undefined): void {
  if (sent === undefined) return;
  const same = typeof sent === 'string' ? sent.trim().toLowerCase() === String(current ?? '').toLowerCase() : sent === current;
  if (!same) throw invalidField(pointer, `${pointer} cannot be changed after the resource is created`);
}

function updatedKafkaConfig(current: KafkaClusterConfig | undefined, sent: { kind: string; cku?: number | undefined }) {
  const dedicated = sent.kind.trim().toLowerCase() === 'dedicated';
  const next = checkKafkaConfig(dedicated ? { kind: sent.kind, cku: sent.cku ?? current?.cku } : sent);
  const from = current?.kind ?? 'Basic';
  // Confluent upgrades Basic to Standard in place; every other change of type means a new cluster.
  if (next.kind !== from && !(from === 'Basic' && next.kind === 'Standard')) {
    throw invalidField('/spec/config/kind', `A ${from} cluster cannot become ${next.kind}; only Basic → Standard is possible`);
  }
  return next;
}

/**
 * Changes what may change: the display name of every type, a Kafka cluster's availability and
 * config, a Schema Registry's package. `environmentId`, when given, must be the resource's.
 */
export async function updateResource(
  ctx: ServiceContext,
  caller: Caller,
  type: RegisteredResourceType,
  id: string,
  environmentId: string | undefined,
  input: UpdateResourceInput,
): Promise<RegisteredResource> {
  return ctx.store.transaction(async (tx) => {
    const current = await findResource(tx, type, id, environmentId);
    ensure(ctx, caller, operation(type, 'Alter'), resourceCrn(ctx, type, current.environmentId, current.id));
    const displayName =
      input.displayName === undefined
        ? undefined
        : checkText('/spec/display_name', input.displayName, textLimits.displayName, { required: true });
    refuseChange('/spec/environment/id', input.environmentId, current.environmentId);
    refuseChange('/spec/cloud', input.cloud, current.cloud);
    refuseChange('/spec/region', input.region, current.region);
    const attributes: ResourceAttributes = { ...current.attributes };
    if (type === 'kafka') {
      if (input.availability !== undefined) {
        attributes.availability = oneOf('/spec/availability', kafkaAvailabilities, input.availability);
      }
      if (input.config !== undefined) attributes.config = updatedKafkaConfig(current.attributes.config, input.config);
    } else if (type === 'schema-registry') {
      if (input.package !== undefined) attributes.package = oneOf('/spec/package', schemaRegistryPackages, input.package);
    } else {
      refuseChange('/spec/csu', input.csu, current.attributes.csu);
      refuseChange('/spec/kafka_cluster/id', input.kafkaClusterId, current.attributes.kafkaClusterId);
    }
    const updated = await tx.update('resources', current.id, {
      displayName,
      attributes: JSON.stringify(attributes),
      updatedAt: timestamp(ctx),
    });
    return fromRow(updated!);
  });
}

/** Ids of the ksqlDB clusters that run on a Kafka cluster (they share its environment). */
async function ksqldbClustersOn(tx: Store, kafka: RegisteredResource): Promise<string[]> {
  const ids: string[] = [];
  let page: PageRequest = { limit: 100 };
  for (;;) {
    const result = await tx.list('resources', { type: 'ksqldb', environmentId: kafka.environmentId }, page);
    for (const row of result.items) {
      if (parseAttributes(row.attributes).kafkaClusterId === kafka.id) ids.push(row.id);
    }
    if (!result.next) return ids;
    page = { limit: 100, after: result.next };
  }
}

/**
 * Deletes the resource, every API key scoped to it and the role bindings on it (and, for a
 * Kafka cluster, its ACLs), in one transaction. Deleting a Kafka cluster deletes the ksqlDB
 * clusters that run on it, with their keys and bindings, as Confluent Cloud does; the caller
 * must be allowed to delete those too.
 */
export async function deleteResource(
  ctx: ServiceContext,
  caller: Caller,
  type: RegisteredResourceType,
  id: string,
  environmentId?: string,
): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const current = await findResource(tx, type, id, environmentId);
    const env = current.environmentId;
    ensure(ctx, caller, operation(type, 'Delete'), resourceCrn(ctx, type, env, current.id));
    const ksqldb = type === 'kafka' ? await ksqldbClustersOn(tx, current) : [];
    for (const ksqldbId of ksqldb) ensure(ctx, caller, operation('ksqldb', 'Delete'), resourceCrn(ctx, 'ksqldb', env, ksqldbId));
    const ids = [current.id, ...ksqldb];
    await removeApiKeys(ctx, tx, { resourceId: ids });
    if (type === 'kafka') await removeClusterAcls(tx, [current.id]);
    await removeBindingsOn(
      tx,
      resourceCrn(ctx, type, env, current.id),
      ...ksqldb.map((ksqldbId) => resourceCrn(ctx, 'ksqldb', env, ksqldbId)),
    );
    await tx.deleteWhere('resources', { id: ids });
  });
}
