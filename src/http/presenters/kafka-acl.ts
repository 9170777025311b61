import type { Context } from 'hono';
import { aclRule, kafkaAclPath } from '../../services/kafka-acls.js';
import type { KafkaAcl } from '../../storage/schema.js';
import type { AppEnv } from '../types.js';
import { link } from './common.js';

/** One ACL in Kafka REST v3's shape; `self` is the collection filtered down to this rule. */
export function presentKafkaAcl(c: Context<AppEnv>, acl: KafkaAcl) {
  return {
    kind: 'KafkaAcl',
    metadata: { self: link(c, kafkaAclPath(acl)) },
    cluster_id: acl.clusterId,
    ...aclRule(acl),
  };
}

/** A `KafkaAclDataList`: every match at once, as Kafka REST answers (`next` is always null). */
export function presentKafkaAclList(c: Context<AppEnv>, acls: readonly KafkaAcl[]) {
  const url = new URL(c.req.url);
  return {
    kind: 'KafkaAclDataList',
    metadata: { self: link(c, `${url.pathname}${url.search}`), next: null },
    data: acls.map((acl) => presentKafkaAcl(c, acl)),
  };
}
