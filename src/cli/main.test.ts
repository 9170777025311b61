import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { apiKeyRow } from '../../test/support/rows.js';
import { migrations } from '../storage/migrations/index.js';
import { openSqliteStore } from '../storage/sqlite/open-sqlite.js';
import type { CliIo } from './io.js';
import { createProgram, run } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'keyplane-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeIo(options: { tty?: boolean; answer?: boolean } = {}) {
  const out = { stdout: '', stderr: '', questions: [] as string[] };
  const io: CliIo = {
    stdout: { isTTY: options.tty ?? false, write: (t: string) => (out.stdout += t) },
    stderr: { write: (t: string) => (out.stderr += t) },
    env: {},
    ...(options.answer === undefined
      ? {}
      : {
          confirm: async (question: string) => {
            out.questions.push(question);
            return options.answer!;
          },
        }),
  };
  return { io, out };
}

async function sqliteSource(path: string): Promise<void> {
  const store = await openSqliteStore(path);
  const t = '2026-01-01T00:00:00.000Z';
  await store.insert('organizations', { id: 'org-1', displayName: 'Keyplane', createdAt: t, updatedAt: t });
  await store.insert('serviceAccounts', { id: 'sa-aaaaaa', displayName: 'orders', description: '', createdAt: t, updatedAt: t });
  await store.insertMany(
    'apiKeys',
    ['KEY0000000000001', 'KEY0000000000002'].map((id) => apiKeyRow(id, t, { ownerId: 'sa-aaaaaa' })),
  );
  await store.close();
}

// The same commands as db.pg.test.ts runs as a process, in-process and on SQLite only, so that
// they are covered where PostgreSQL is not.
describe('keyplane db, in-process on SQLite', () => {
  it('db migrate applies the migrations, then reports the database up to date', async () => {
    const dataDir = join(dir, 'migrate');
    const first = fakeIo();
    expect(await run(['db', 'migrate', '--data-dir', dataDir], first.io)).toBe(0);
    expect(first.out.stdout).toContain(`Database: sqlite:${join(dataDir, 'keyplane.db')}\nApplied ${Object.keys(migrations).length} migrations:`);

    const second = fakeIo();
    expect(await run(['db', 'migrate', '--database-url', `sqlite:${join(dataDir, 'keyplane.db')}`], second.io)).toBe(0);
    expect(second.out.stdout).toContain('Already up to date');
  });

  it('db copy asks first, redraws progress in place on a terminal, and then refuses a second copy', async () => {
    const source = join(dir, 'source.db');
    const target = `sqlite:${join(dir, 'target.db')}`;
    await sqliteSource(source);

    const copy = fakeIo({ tty: true, answer: true });
    expect(await run(['db', 'copy', '--from', source, '--to', target], copy.io)).toBe(0);
    expect(copy.out.questions).toEqual([`Copy 4 rows in 12 tables into ${target}?`]);
    expect(copy.out.stdout).toContain('\r  api_keys          0/2\x1b[K\r  api_keys          2/2\x1b[K\n');
    expect(copy.out.stdout).toMatch(/^ {2}api_keys +2 +2 +ok$/m);

    const again = fakeIo({ answer: true });
    expect(await run(['db', 'copy', '--from', source, '--to', target], again.io)).toBe(1);
    expect(again.out.questions).toEqual([]);
    expect(again.out.stderr).toMatch(/^keyplane: error: the destination sqlite:\S+ is not empty \(organizations 1, service_accounts 1, api_keys 2\)/);
  });

  it('refuses, with exit code 2, to copy unasked when nobody can answer, or onto its own source', async () => {
    const source = join(dir, 'source.db');
    const unasked = fakeIo();
    expect(await run(['db', 'copy', '--from', source, '--to', `sqlite:${join(dir, 'other.db')}`], unasked.io)).toBe(2);
    expect(unasked.out.stderr).toBe(
      'keyplane: error: db copy asks before it copies, and there is no terminal to ask at; add --yes to copy without asking\n',
    );
    const same = fakeIo();
    expect(await run(['db', 'copy', '--from', source, '--to', `sqlite:${source}`, '--yes'], same.io)).toBe(2);
    expect(same.out.stderr).toBe('keyplane: error: --from and --to name the same database\n');
  });
});

describe('the command tree', () => {
  const leaves = (command: Command, path: string[] = []): string[][] =>
    command.commands.length === 0 ? [path] : command.commands.flatMap((c) => leaves(c, [...path, c.name()]));
  const program = createProgram(fakeIo().io);
  const commands = leaves(program).filter((path) => path[0] !== 'help');

  it('has help on every command, with a description', async () => {
    for (const path of commands) {
      const { io, out } = fakeIo();
      expect(await run([...path, '--help'], io), path.join(' ')).toBe(0);
      expect(out.stdout, path.join(' ')).toContain(`Usage: keyplane ${path.join(' ')}`);
      expect(out.stdout.split('\n')[2]?.trim(), path.join(' ')).not.toBe('');
    }
  });

  it('offers -o human|json|yaml on every command that talks to a server', async () => {
    const local = new Set(['server start', 'db migrate', 'db copy', 'audit verify']);
    for (const path of commands.filter((p) => !local.has(p.join(' ')))) {
      const { io, out } = fakeIo();
      await run([...path, '--help'], io);
      const help = out.stdout.replace(/\s+/g, ' ');
      expect(help, path.join(' ')).toContain('-o, --output <format>');
      expect(help, path.join(' ')).toContain('"human", "json", "yaml"');
    }
  });

  it('answers an unknown option with exit code 2 and one line naming it', async () => {
    const { io, out } = fakeIo();
    expect(await run(['api-key', 'list', '--bogus'], io)).toBe(2);
    expect(out.stderr).toBe('keyplane: error: unknown option \'--bogus\'; see "keyplane api-key list --help"\n');
  });
});
