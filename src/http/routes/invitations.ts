import type { Api } from '../api.js';

export function registerInvitationRoutes(_api: Api): void {}
