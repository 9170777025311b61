import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, unlimited } from '../../../test/support/harness.js';
import { loadConfig } from '../../config.js';
import { createLogger } from '../../logger.js';
import { createKeyplane } from '../../server.js';
import type { Row } from '../../storage/store.js';
import { openDatabase } from '../database-access.js';
import type { CliIo } from '../io.js';
import { run } from '../main.js';

const dataDir = mkdtempSync(join(tmpdir(), 'keyplane-audit-verify-'));
let events: Row<'auditEvents'>[];

async function keyplane(args: string[], env: Record<string, string> = {}) {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    env,
  };
  return { code: await run(args, io), ...out };
}

/** Runs `fn` on the database with the server stopped, as an intruder with write access would. */
async function withDatabase<R>(fn: (store: Awaited<ReturnType<typeof openDatabase>>) => Promise<R>): Promise<R> {
  const store = await openDatabase(`sqlite:${join(dataDir, 'keyplane.db')}`, 'the database');
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  const server = await createKeyplane(loadConfig({ KEYPLANE_DATA_DIR: dataDir, ...unlimited }), createLogger('silent'));
  const auth = basic(server.initialCredentials!.key, server.initialCredentials!.secret);
  for (const display_name of ['a', 'b', 'c']) {
    const res = await server.app.request('http://keyplane.test/org/v2/environments', {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ display_name }),
    });
    expect(res.status).toBe(201);
  }
  await server.close();
  events = await withDatabase(async (store) => (await store.list('auditEvents', {}, { limit: 1000, total: false })).items);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('keyplane audit verify', () => {
  it('passes on an intact log, reading the data directory and its pepper file', async () => {
    expect(events.length).toBeGreaterThanOrEqual(3);
    const result = await keyplane(['audit', 'verify', '--data-dir', dataDir]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`Verified ${events.length} events in 1 chain; every link is intact.`);
    expect(result.code).toBe(0);
    const byEnv = await keyplane(['audit', 'verify'], { KEYPLANE_DATABASE_URL: `sqlite:${join(dataDir, 'keyplane.db')}`, KEYPLANE_PEPPER_FILE: join(dataDir, 'pepper.json') });
    expect(byEnv.code).toBe(0);
  });

  it('fails naming the event whose data was edited', async () => {
    const target = events[1]!;
    await withDatabase((store) => store.update('auditEvents', target.id, { data: target.data.replace('"time":"', '"time":"1') }));
    try {
      const result = await keyplane(['audit', 'verify', '--data-dir', dataDir]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `keyplane: error: the audit log is broken at event ${target.id} (chain ${target.chainId}, event ${target.seq}): its content or its hash was changed\n`,
      );
    } finally {
      await withDatabase((store) => store.update('auditEvents', target.id, { data: target.data }));
    }
  });

  it('fails naming the event after one deleted from the middle', async () => {
    const target = events[1]!;
    await withDatabase((store) => store.delete('auditEvents', target.id));
    try {
      const result = await keyplane(['audit', 'verify', '--data-dir', dataDir]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`broken at event ${events[2]!.id} (chain ${target.chainId}, event ${target.seq + 1}): expected event ${target.seq}`);
    } finally {
      await withDatabase((store) => store.insert('auditEvents', target));
    }
    expect((await keyplane(['audit', 'verify', '--data-dir', dataDir])).code).toBe(0);
  });

  it('fails under another pepper, and refuses to go on without the pepper file', async () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'keyplane-other-pepper-'));
    try {
      // A server started on another data directory makes a pepper of its own.
      const other = await createKeyplane(loadConfig({ KEYPLANE_DATA_DIR: otherDir }), createLogger('silent'));
      await other.close();
      const wrong = await keyplane(['audit', 'verify', '--data-dir', dataDir, '--pepper-file', join(otherDir, 'pepper.json')]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain(`broken at event ${events[0]!.id}`);
      const missing = await keyplane(['audit', 'verify', '--data-dir', dataDir, '--pepper-file', join(otherDir, 'none.json')]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`there is no pepper file at ${join(otherDir, 'none.json')}`);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
