import type { Api } from '../api.js';

export function registerFlinkRegionRoutes(_api: Api): void {}
