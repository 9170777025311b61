import type { Api } from '../api.js';

export function registerHealthRoutes(api: Api): void {
  api.route(
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness and database reachability',
      tag: 'Health',
      responses: { 200: 'Serving', 503: 'The database does not answer' },
      authenticated: false,
    },
    async (c) => {
      const database = await c.get('services').store.ping();
      return c.json({ status: database ? 'ok' : 'degraded', database: database ? 'ok' : 'unreachable' }, database ? 200 : 503);
    },
  );
}
