import type { Actor, ServiceContext } from '../services/context.js';
import type { Logger } from '../logger.js';

export interface HttpOptions {
  /** Base of `self`, `related` and paging links, without a trailing slash. */
  publicUrl: string;
  maxBodyBytes: number;
}

/** What every handler can reach through Hono's context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    actor: Actor;
    services: ServiceContext;
    http: HttpOptions;
    logger: Logger;
  };
}
