import type { Api } from '../api.js';

export function registerOrganizationRoutes(_api: Api): void {}
