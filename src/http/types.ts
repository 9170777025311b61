import type { RateLimitSettings } from '../config.js';
import type { Logger } from '../logger.js';
import type { Actor, ServiceContext } from '../services/context.js';
import type { RateLimitState, RateLimits } from './rate-limit.js';

export interface HttpOptions {
  /** Base of `self`, `related` and paging links, without a trailing slash. */
  publicUrl: string;
  maxBodyBytes: number;
  rateLimits: RateLimitSettings;
}

/** What every handler can reach through Hono's context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    actor: Actor;
    services: ServiceContext;
    http: HttpOptions;
    logger: Logger;
    /** This node's buckets. */
    rateLimits: RateLimits;
    /** The bucket this request was counted against, for the X-RateLimit-* headers. */
    rateLimit: RateLimitState;
  };
}
