/**
 * Confluent Resource Names: `crn://confluent.cloud/organization=<uuid>/environment=env-…/cloud-cluster=lkc-…`.
 * A CRN is an authority and an ordered list of `type=value` segments. Values that contain `/`
 * or `%` are percent-encoded so that segments split unambiguously.
 */
export const CRN_AUTHORITY = 'confluent.cloud';

export interface CrnSegment {
  type: string;
  value: string;
}

export interface Crn {
  authority: string;
  segments: CrnSegment[];
}

const TYPE_RE = /^[a-z][a-z0-9-]*$/;

function encodeValue(value: string): string {
  return value.replace(/[%/]/g, (c) => (c === '%' ? '%25' : '%2F'));
}

export function formatCrn(segments: CrnSegment[], authority: string = CRN_AUTHORITY): string {
  return `crn://${authority}/${segments.map((s) => `${s.type}=${encodeValue(s.value)}`).join('/')}`;
}

/** Parses a CRN, or returns undefined when the text is not one. */
export function parseCrn(text: string): Crn | undefined {
  const match = /^crn:\/\/([^/]+)\/(.+)$/.exec(text);
  if (!match) return undefined;
  const segments: CrnSegment[] = [];
  for (const part of match[2]!.split('/')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const type = part.slice(0, eq);
    if (!TYPE_RE.test(type)) return undefined;
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1));
    } catch {
      return undefined;
    }
    if (value === '') return undefined;
    segments.push({ type, value });
  }
  return { authority: match[1]!, segments };
}

/** Builders for the CRNs of the objects Keyplane stores, all rooted in the organization. */
export function crnsFor(orgId: string) {
  const org: CrnSegment = { type: 'organization', value: orgId };
  const inOrg = (...rest: CrnSegment[]) => formatCrn([org, ...rest]);
  const inEnv = (envId: string, ...rest: CrnSegment[]) => inOrg({ type: 'environment', value: envId }, ...rest);
  return {
    organization: () => inOrg(),
    environment: (envId: string) => inEnv(envId),
    user: (id: string) => inOrg({ type: 'user', value: id }),
    serviceAccount: (id: string) => inOrg({ type: 'service-account', value: id }),
    invitation: (id: string) => inOrg({ type: 'invitation', value: id }),
    apiKey: (id: string) => inOrg({ type: 'api-key', value: id }),
    roleBinding: (id: string) => inOrg({ type: 'role-binding', value: id }),
    appliedQuota: (id: string) => inOrg({ type: 'applied-quota', value: id }),
    kafkaCluster: (envId: string, id: string) => inEnv(envId, { type: 'cloud-cluster', value: id }),
    schemaRegistry: (envId: string, id: string) => inEnv(envId, { type: 'schema-registry', value: id }),
    ksqldbCluster: (envId: string, id: string) => inEnv(envId, { type: 'ksql', value: id }),
    flinkRegion: (envId: string, regionId: string) => inEnv(envId, { type: 'flink-region', value: regionId }),
    tableflow: () => inOrg({ type: 'tableflow', value: 'tableflow' }),
  };
}

export type CrnBuilders = ReturnType<typeof crnsFor>;
