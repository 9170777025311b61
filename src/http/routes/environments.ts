import type { Api } from '../api.js';

export function registerEnvironmentRoutes(_api: Api): void {}
