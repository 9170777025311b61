import type { Context } from 'hono';
import { type Caller, callerFor } from '../services/access.js';
import type { AppEnv } from './types.js';

const callers = new WeakMap<Request, Promise<Caller>>();

/** The authenticated caller with their role bindings, read once per request. */
export function callerOf(c: Context<AppEnv>): Promise<Caller> {
  let caller = callers.get(c.req.raw);
  if (!caller) {
    caller = callerFor(c.get('services'), c.get('actor'));
    callers.set(c.req.raw, caller);
  }
  return caller;
}
