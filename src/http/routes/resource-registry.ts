import type { Context } from 'hono';
import { z } from 'zod';
import { KeyplaneError } from '../../domain/errors.js';
import type { RegisteredResourceType } from '../../domain/resources.js';
import {
  createResource,
  deleteResource,
  getResource,
  listResources,
  updateResource,
} from '../../services/resource-registry.js';
import type { Api } from '../api.js';
import { queryParam, readJson } from '../body.js';
import { callerOf } from '../caller.js';
import { listEnvelope, readPage } from '../paging.js';
import { created, } from '../presenters/common.js';
import { presentResource, resourceGroup } from '../presenters/resource.js';
import type { AppEnv } from '../types.js';

// References may carry read-only fields (`environment`, `related`, `resource_name`); they are
// ignored, as are unknown fields anywhere.
const reference = z.object({ id: z.string().min(1, 'must not be empty').max(255) });
const word = z.string().max(64);
const kafkaConfig = z.object({ kind: word, cku: z.number().int().nullish() });

/** Every field a create or update body may carry; each type's schema picks its own. */
interface SpecBody {
  display_name?: string | null | undefined;
  environment?: { id: string } | null | undefined;
  cloud?: string | null | undefined;
  region?: string | null | undefined;
  availability?: string | null | undefined;
  config?: { kind: string; cku?: number | null | undefined } | null | undefined;
  package?: string | null | undefined;
  csu?: number | null | undefined;
  kafka_cluster?: { id: string } | null | undefined;
  use_detailed_processing_log?: boolean | null | undefined;
  credential_identity?: { id: string } | null | undefined;
}

/** What a Kafka cluster and a Schema Registry both need to be created: a name and a place. */
const placedCreate = {
  display_name: z.string(),
  environment: reference,
  cloud: word,
  region: word,
};

const updateCommon = {
  display_name: z.string().nullish(),
  environment: reference.nullish(),
  cloud: word.nullish(),
  region: word.nullish(),
};

interface ClusterGroup {
  type: RegisteredResourceType;
  tag: string;
  noun: string;
  /** cmk and ksqldbcm accept a create asynchronously; srcm answers with the created object. */
  createStatus: 201 | 202;
  createBody: z.ZodType<{ spec: SpecBody }>;
  updateBody: z.ZodType<{ spec?: SpecBody | null | undefined }>;
  /** What PATCH may change, for the documentation. */
  mutable: string;
}

const groups: ClusterGroup[] = [
  {
    type: 'kafka',
    tag: 'Kafka Clusters (cmk/v2)',
    noun: 'Kafka cluster',
    createStatus: 202,
    createBody: z.object({
      spec: z.object({
        ...placedCreate,
        availability: word.nullish(),
        config: kafkaConfig.nullish(),
      }),
    }),
    updateBody: z.object({
      spec: z.object({ ...updateCommon, availability: word.nullish(), config: kafkaConfig.nullish() }).nullish(),
    }),
    mutable: 'display name, availability or config (Basic → Standard, Dedicated CKUs)',
  },
  {
    type: 'schema-registry',
    tag: 'Schema Registry Clusters (srcm/v3)',
    noun: 'Schema Registry',
    createStatus: 201,
    createBody: z.object({
      spec: z.object({
        ...placedCreate,
        package: word.nullish(),
      }),
    }),
    updateBody: z.object({ spec: z.object({ ...updateCommon, package: word.nullish() }).nullish() }),
    mutable: 'display name or package',
  },
  {
    type: 'ksqldb',
    tag: 'ksqlDB Clusters (ksqldbcm/v2)',
    noun: 'ksqlDB cluster',
    createStatus: 202,
    createBody: z.object({
      spec: z.object({
        display_name: z.string(),
        environment: reference,
        kafka_cluster: reference,
        cloud: word.nullish(),
        region: word.nullish(),
        csu: z.number().int().nullish(),
        use_detailed_processing_log: z.boolean().nullish(),
        credential_identity: reference.nullish(),
      }),
    }),
    updateBody: z.object({
      spec: z
        .object({ ...updateCommon, csu: z.number().int().nullish(), kafka_cluster: reference.nullish() })
        .nullish(),
    }),
    mutable: 'display name',
  },
];

const opt = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

function kafkaConfigInput(config: SpecBody['config']) {
  return config ? { kind: config.kind, cku: opt(config.cku) } : undefined;
}

/** The `environment` list filter Confluent requires on every cluster list. */
function requiredEnvironment(c: Context<AppEnv>): string {
  const environment = queryParam(c, 'environment');
  if (!environment) {
    throw new KeyplaneError('invalid_filter', 'The environment query parameter is required (?environment=env-…)', {
      source: { parameter: 'environment' },
    });
  }
  return environment;
}

function registerClusterGroup(api: Api, group: ClusterGroup): void {
  const { type, tag, noun } = group;
  const { path, apiVersion } = resourceGroup(type);
  const environmentQuery = {
    name: 'environment',
    description: `The ${noun}'s environment (env-…); another environment's id answers 404`,
  };

  api.route(
    {
      method: 'get',
      path,
      summary: `List the ${noun}s of an environment`,
      tag,
      query: [
        { name: 'environment', description: 'The environment (env-…)', required: true },
        { name: 'page_size', description: 'Items per page, default 10, at most 100' },
        { name: 'page_token', description: 'From metadata.next of the previous page' },
      ],
      responses: { 200: `A page of ${noun}s` },
    },
    async (c) => {
      const environment = requiredEnvironment(c);
      const page = await listResources(c.get('services'), await callerOf(c), type, environment, readPage(c));
      return c.json(listEnvelope(c, apiVersion, 'ClusterList', page, page.items.map((r) => presentResource(c, r))));
    },
  );

  api.route(
    {
      method: 'post',
      path,
      summary: `Register a ${noun}; API keys can then be scoped to it`,
      tag,
      body: group.createBody,
      responses: { [group.createStatus]: `The ${noun}` },
    },
    async (c) => {
      const { spec } = await readJson(c, group.createBody);
      const resource = await createResource(
        c.get('services'),
        await callerOf(c),
        type,
        {
          displayName: opt(spec.display_name),
          environmentId: spec.environment?.id,
          cloud: opt(spec.cloud),
          region: opt(spec.region),
          availability: opt(spec.availability),
          config: kafkaConfigInput(spec.config),
          package: opt(spec.package),
          csu: opt(spec.csu),
          kafkaClusterId: spec.kafka_cluster?.id,
          useDetailedProcessingLog: opt(spec.use_detailed_processing_log),
          credentialIdentityId: spec.credential_identity?.id,
        },
        path,
      );
      return created(c, `${path}/${resource.id}`, presentResource(c, resource), group.createStatus);
    },
  );

  api.route(
    {
      method: 'get',
      path: `${path}/{id}`,
      summary: `Read a ${noun}`,
      tag,
      query: [environmentQuery],
      responses: { 200: `The ${noun}` },
    },
    async (c) => {
      const resource = await getResource(c.get('services'), await callerOf(c), type, c.req.param('id')!, queryParam(c, 'environment'));
      return c.json(presentResource(c, resource));
    },
  );

  api.route(
    {
      method: 'patch',
      path: `${path}/{id}`,
      summary: `Change a ${noun}'s ${group.mutable}`,
      tag,
      query: [environmentQuery],
      body: group.updateBody,
      responses: { 200: `The ${noun} after the change` },
    },
    async (c) => {
      const spec = (await readJson(c, group.updateBody)).spec ?? {};
      const resource = await updateResource(c.get('services'), await callerOf(c), type, c.req.param('id')!, queryParam(c, 'environment'), {
        displayName: opt(spec.display_name),
        availability: opt(spec.availability),
        config: kafkaConfigInput(spec.config),
        package: opt(spec.package),
        environmentId: spec.environment?.id,
        cloud: opt(spec.cloud),
        region: opt(spec.region),
        csu: opt(spec.csu),
        kafkaClusterId: spec.kafka_cluster?.id,
      });
      return c.json(presentResource(c, resource));
    },
  );

  api.route(
    {
      method: 'delete',
      path: `${path}/{id}`,
      summary: `Delete a ${noun} and every API key scoped to it`,
      tag,
      query: [environmentQuery],
      responses: { 204: 'Deleted' },
    },
    async (c) => {
      await deleteResource(c.get('services'), await callerOf(c), type, c.req.param('id')!, queryParam(c, 'environment'));
      return c.body(null, 204);
    },
  );
}

/** `/cmk/v2/clusters`, `/srcm/v3/clusters` and `/ksqldbcm/v2/clusters`: the resources keys are scoped to. */
export function registerResourceRegistryRoutes(api: Api): void {
  for (const group of groups) registerClusterGroup(api, group);
}
