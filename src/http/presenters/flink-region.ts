import type { Context } from 'hono';
import type { FlinkRegion } from '../../domain/regions.js';
import type { AppEnv } from '../types.js';
import { link } from './common.js';

export function presentFlinkRegion(c: Context<AppEnv>, region: FlinkRegion) {
  const host = `flink.${region.regionName}.${region.cloud.toLowerCase()}.keyplane.local`;
  return {
    api_version: 'fcpm/v2',
    kind: 'Region',
    id: region.id,
    metadata: { self: link(c, `/fcpm/v2/regions/${region.id}`) },
    display_name: region.displayName,
    cloud: region.cloud,
    region_name: region.regionName,
    http_endpoint: `https://${host}`,
    private_http_endpoint: `https://flink.${region.regionName}.${region.cloud.toLowerCase()}.private.keyplane.local`,
  };
}
