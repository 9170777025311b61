import type { Context } from 'hono';
import type { Environment } from '../../storage/schema.js';
import type { AppEnv } from '../types.js';
import { objectMeta } from './common.js';

export function presentEnvironment(c: Context<AppEnv>, environment: Environment) {
  return {
    api_version: 'org/v2',
    kind: 'Environment',
    id: environment.id,
    metadata: objectMeta(
      c,
      `/org/v2/environments/${environment.id}`,
      c.get('services').crn.environment(environment.id),
      environment,
    ),
    display_name: environment.displayName,
    // The spec makes `package` required inside the config, so an environment without one has no config.
    ...(environment.streamGovernancePackage
      ? { stream_governance_config: { package: environment.streamGovernancePackage } }
      : {}),
  };
}
