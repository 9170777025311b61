import type { Context } from 'hono';
import { z } from 'zod';
import {
  createKafkaAcl,
  deleteKafkaAcls,
  type KafkaAclFilterInput,
  kafkaAclPath,
  listKafkaAcls,
} from '../../services/kafka-acls.js';
import type { Api, QueryParameter } from '../api.js';
import { queryParam, readJson } from '../body.js';
import { callerOf } from '../caller.js';
import { link } from '../presenters/common.js';
import { presentKafkaAclList } from '../presenters/kafka-acl.js';
import type { AppEnv } from '../types.js';

const TAG = 'Kafka ACLs (kafka/v3)';
const PATH = '/kafka/v3/clusters/{cluster_id}/acls';

// Enum values are checked by the service, which names the field at fault; unknown fields
// (`kind`, `metadata`, `cluster_id` echoed back) are ignored.
const body = z.object({
  resource_type: z.string().describe('TOPIC, GROUP, CLUSTER or TRANSACTIONAL_ID'),
  resource_name: z.string().describe("The resource's name, or its prefix (PREFIXED); '*' (LITERAL) is every resource; 'kafka-cluster' for CLUSTER"),
  pattern_type: z.string().describe('LITERAL or PREFIXED'),
  principal: z.string().describe("'User:u-…', 'User:sa-…' or 'User:*'"),
  host: z.string().describe("'*' or an IP address"),
  operation: z
    .string()
    .describe('ALL, READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS or IDEMPOTENT_WRITE'),
  permission: z.string().describe('ALLOW or DENY'),
});

function filterQuery(forDelete: boolean): QueryParameter[] {
  const required = forDelete ? { required: true } : {};
  return [
    { name: 'resource_type', description: 'ANY (the default), TOPIC, GROUP, CLUSTER or TRANSACTIONAL_ID', ...required },
    { name: 'resource_name', description: 'Exactly this name; with pattern_type=MATCH, the ACLs that apply to a resource of this name' },
    {
      name: 'pattern_type',
      description: 'ANY (the default), MATCH (LITERAL of the name or *, PREFIXED of a prefix of it), LITERAL or PREFIXED',
      ...required,
    },
    { name: 'principal', description: "Exactly this principal ('User:sa-…'); 'User:*' finds the ACLs written for everyone" },
    { name: 'host', description: "Exactly this host ('*' or an IP address)" },
    { name: 'operation', description: 'ANY (the default) or one operation; ALL finds only ACLs written for ALL', ...required },
    { name: 'permission', description: 'ANY (the default), ALLOW or DENY', ...required },
  ];
}

function filterOf(c: Context<AppEnv>): KafkaAclFilterInput {
  return {
    resourceType: queryParam(c, 'resource_type'),
    resourceName: c.req.query('resource_name') || undefined,
    patternType: queryParam(c, 'pattern_type'),
    principal: queryParam(c, 'principal'),
    host: queryParam(c, 'host'),
    operation: queryParam(c, 'operation'),
    permission: queryParam(c, 'permission'),
  };
}

export function registerKafkaAclRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: PATH,
      summary: "List a Kafka cluster's ACLs that match the filters (Acl:Describe on the cluster)",
      tag: TAG,
      query: filterQuery(false),
      responses: { 200: 'Every matching ACL (KafkaAclDataList)' },
    },
    async (c) => {
      const acls = await listKafkaAcls(c.get('services'), await callerOf(c), c.req.param('cluster_id')!, filterOf(c));
      return c.json(presentKafkaAclList(c, acls));
    },
  );

  api.route(
    {
      method: 'post',
      path: PATH,
      summary: 'Create a Kafka ACL (Acl:Create on the cluster); creating an existing one changes nothing',
      tag: TAG,
      body,
      responses: { 201: 'Created; Location filters the collection down to the ACL' },
    },
    async (c) => {
      const input = await readJson(c, body);
      const acl = await createKafkaAcl(c.get('services'), await callerOf(c), c.req.param('cluster_id')!, {
        resourceType: input.resource_type,
        resourceName: input.resource_name,
        patternType: input.pattern_type,
        principal: input.principal,
        host: input.host,
        operation: input.operation,
        permission: input.permission,
      });
      c.header('Location', link(c, kafkaAclPath(acl)));
      return c.body(null, 201);
    },
  );

  api.route(
    {
      method: 'delete',
      path: PATH,
      summary: "Delete a Kafka cluster's ACLs that match the filters (Acl:Delete on the cluster)",
      tag: TAG,
      query: filterQuery(true),
      responses: { 200: 'The deleted ACLs (KafkaAclDataList)' },
    },
    async (c) => {
      const acls = await deleteKafkaAcls(c.get('services'), await callerOf(c), c.req.param('cluster_id')!, filterOf(c));
      return c.json(presentKafkaAclList(c, acls));
    },
  );
}
