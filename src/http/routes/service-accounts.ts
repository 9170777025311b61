import type { Api } from '../api.js';

export function registerServiceAccountRoutes(_api: Api): void {}
