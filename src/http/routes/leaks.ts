import type { Context } from 'hono';
import { z } from 'zod';
import { badField } from '../../domain/errors.js';
import { type CheckAnswer, checkLeaks, type LeakItem, MAX_LEAKS_PER_REQUEST, type ReportAnswer, reportLeaks } from '../../services/leaks.js';
import type { Api } from '../api.js';
import { requestMetadataOf } from '../audit.js';
import { readJsonValue } from '../body.js';
import { callerOf } from '../caller.js';
import { limitLeakReports } from '../rate-limit.js';
import type { AppEnv } from '../types.js';

const TAG = 'Leaked secrets';


// Unknown fields are ignored. Lengths and control characters of url and source are checked by
// the service, which names the item.
const leakItem = z.object({
  secret: z.string(),
  url: z.string().nullish(),
  source: z.string().nullish(),
});

const leaksBody = z
  .array(leakItem)
  .min(1, 'must hold at least one secret')
  .max(MAX_LEAKS_PER_REQUEST, `must hold at most ${MAX_LEAKS_PER_REQUEST} secrets`);

/** `[3].secret` for the path [3, 'secret']. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`)).join('');
}

/**
 * The body: a JSON array of 1 to 100 `{ secret, url?, source? }`. A bad item refuses the whole
 * request, naming it (`[3].secret`, pointer `/3/secret`); errors never repeat what was sent.
 */
async function readLeaks(c: Context<AppEnv>): Promise<LeakItem[]> {
  const value = await readJsonValue(c, 'array', 'a JSON array of { "secret": "…", "url": "…", "source": "…" } (url and source optional)');
  const parsed = leaksBody.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const pointer = issue.path.map((segment) => `/${String(segment)}`).join('');
    throw badField(pointer, `${fieldName(issue.path) || 'body'}: ${issue.message}`);
  }
  return parsed.data.map((item) => ({ secret: item.secret, url: item.url ?? undefined, source: item.source ?? undefined }));
}

function presentCheck(answer: CheckAnswer) {
  const { key } = answer;
  return {
    index: answer.index,
    status: answer.status,
    ...(key
      ? {
          key: {
            id: key.id,
            owner: { id: key.ownerId, kind: key.ownerKind },
            scope: { kind: key.scopeKind, id: key.resourceId, ...(key.resourceEnvironmentId ? { environment: key.resourceEnvironmentId } : {}) },
          },
        }
      : {}),
  };
}

/** How many answers of each status: the log's only trace of a report that found no live key. */
function tally(answers: readonly ReportAnswer[]): Record<string, number> {
  const counts: Record<string, number> = { malformed: 0, not_live: 0, revoked: 0, reported: 0 };
  for (const { status } of answers) counts[status]! += 1;
  return counts;
}

export function registerLeakRoutes(api: Api): void {
  api.route(
    {
      method: 'post',
      path: '/v1/leaks',
      summary:
        "Report leaked secrets; no credentials needed. A live key's secret is dealt with by the organization's leak policy (revoke or notify); every other secret is answered not_live",
      tag: TAG,
      body: leaksBody,
      responses: { 200: 'One answer per secret, in order: { index, status: malformed | not_live | revoked | reported }' },
      authenticated: false,
    },
    async (c) => {
      limitLeakReports(c);
      const items = await readLeaks(c);
      const answers = await reportLeaks(c.get('services'), items, requestMetadataOf(c));
      c.get('logger').info('leak report', { request_id: c.get('requestId'), ...tally(answers) });
      return c.json(answers);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/v1/leaks/check',
      summary:
        'Check whether secrets are live, changing nothing (no key is marked used or revoked); a live key is named only to a caller who may see it',
      tag: TAG,
      body: leaksBody,
      responses: { 200: 'One answer per secret, in order: { index, status: malformed | not_live | live, key? }' },
    },
    async (c) => {
      const items = await readLeaks(c);
      const answers = await checkLeaks(c.get('services'), await callerOf(c), items);
      return c.json(answers.map(presentCheck));
    },
  );
}
