import type { Api } from '../api.js';

export function registerServiceQuotaRoutes(_api: Api): void {}
