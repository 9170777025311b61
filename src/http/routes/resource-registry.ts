import type { Api } from '../api.js';

export function registerResourceRegistryRoutes(_api: Api): void {}
