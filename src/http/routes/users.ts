import type { Api } from '../api.js';

export function registerUserRoutes(_api: Api): void {}
