import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliSuite, inTerminal, keyplane, stable } from '../../../test/support/cli.js';

const suite = cliSuite();


interface EnvironmentOut {
  is_current: boolean;
  id: string;
  name: string;
  stream_governance_package: string | null;
}

function savedEnvironment(dir: string): string | undefined {
  const config = JSON.parse(readFileSync(join(dir, '.keyplane', 'config.json'), 'utf8')) as {
    current_context: string;
    contexts: Record<string, { environment?: string }>;
  };
  return config.contexts[config.current_context]?.environment;
}

async function json<T>(args: string[], dir = suite.home): Promise<T> {
  const result = await keyplane([...args, '-o', 'json'], { home: dir });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

describe('keyplane environment', () => {
  let prod: string;
  let stage: string;

  it('create prints the new environment as a table, and as an object in JSON', async () => {
    const created = await keyplane(['environment', 'create', 'production'], { home: suite.home });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(stable(created.stdout)).toMatchSnapshot();
    prod = /env-[a-z0-9]+/.exec(created.stdout)![0];

    const advanced = await json<EnvironmentOut>(['environment', 'create', 'staging', '--governance-package', 'advanced']);
    expect(advanced).toEqual({ is_current: false, id: expect.stringMatching(/^env-[a-z0-9]{6}$/), name: 'staging', stream_governance_package: 'ADVANCED' });
    stage = advanced.id;
  });

  it('use checks the environment, saves it and marks it current in list and describe', async () => {
    const used = await keyplane(['environment', 'use', prod], { home: suite.home });
    expect(used.code).toBe(0);
    expect(used.stdout).toBe(`Using environment "${prod}".\n`);
    expect(savedEnvironment(suite.home)).toBe(prod);

    const listed = await keyplane(['environment', 'list'], { home: suite.home });
    expect(listed.code).toBe(0);
    expect(stable(listed.stdout)).toMatchSnapshot();
    expect(listed.stdout).toMatch(new RegExp(`\\*\\s+\\| ${prod} \\| production`));

    const all = await json<EnvironmentOut[]>(['environment', 'list']);
    expect(all.find((e) => e.id === prod)).toEqual({ is_current: true, id: prod, name: 'production', stream_governance_package: null });
    expect(all.find((e) => e.id === stage)?.is_current).toBe(false);

    const described = await keyplane(['environment', 'describe', stage], { home: suite.home });
    expect(described.code).toBe(0);
    expect(stable(described.stdout)).toMatchSnapshot();
  });

  it('use refuses an environment that does not exist and keeps the one in use', async () => {
    const result = await keyplane(['environment', 'use', 'env-nope00'], { home: suite.home });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('keyplane: error: environment "env-nope00" does not exist, or you may not see it; see "keyplane environment list"\n');
    expect(savedEnvironment(suite.home)).toBe(prod);
  });

  it('update changes the name and upgrades the package', async () => {
    const renamed = await keyplane(['environment', 'update', prod, '--name', 'prod-eu'], { home: suite.home });
    expect(renamed.code).toBe(0);
    expect(renamed.stdout).toBe(`Updated environment "${prod}".\n`);

    const upgraded = await json<Omit<EnvironmentOut, 'is_current'>>(['environment', 'update', prod, '--governance-package', 'essentials']);
    expect(upgraded).toEqual({ id: prod, name: 'prod-eu', stream_governance_package: 'ESSENTIALS' });

    const described = await keyplane(['environment', 'describe', prod, '-o', 'yaml'], { home: suite.home });
    expect(described.stdout).toBe(`is_current: true\nid: ${prod}\nname: prod-eu\nstream_governance_package: ESSENTIALS\n`);
  });

  it('update names the flag the server refused, and asks for something to change', async () => {
    const downgrade = await keyplane(['environment', 'update', stage, '--governance-package', 'essentials'], { home: suite.home });
    expect(downgrade.code).toBe(1);
    expect(downgrade.stderr).toMatch(/^keyplane: error: --governance-package: The Stream Governance package of 'env-[a-z0-9]+' is ADVANCED; it can be upgraded, not downgraded to ESSENTIALS\n$/);

    const nothing = await keyplane(['environment', 'update', stage], { home: suite.home });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toBe('keyplane: error: nothing to change; give --name, --governance-package or both\n');
  });

  it('refuses unknown ids, flags and packages', async () => {
    const unknown = await keyplane(['environment', 'describe', 'env-nope00'], { home: suite.home });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('keyplane: error: environment "env-nope00" does not exist, or you may not see it; see "keyplane environment list"\n');

    const badFlag = await keyplane(['environment', 'list', '--bogus'], { home: suite.home });
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/^keyplane: error: unknown option '--bogus'/);

    const badPackage = await keyplane(['environment', 'create', 'x', '--governance-package', 'premium'], { home: suite.home });
    expect(badPackage.code).toBe(2);
    expect(badPackage.stderr).toContain("'premium' is invalid");
  });

  it('delete asks first; no keeps the environment', async () => {
    const noTerminal = await keyplane(['environment', 'delete', stage], { home: suite.home });
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toBe('keyplane: error: environment delete asks for confirmation, and there is no terminal to ask at; add --force to go ahead without asking\n');

    const refused = await inTerminal(['environment', 'delete', stage], { home: suite.home, answers: [{ after: '(y/n): ', type: 'n' }] });
    expect(refused.code).toBe(1);
    expect(stable(refused.stdout)).toMatchSnapshot();

    const yes = await inTerminal(['environment', 'delete', stage], { home: suite.home, answers: [{ after: '(y/n): ', type: 'y' }] });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(`Deleted environment "${stage}".`);
  });

  it('delete --force deletes the environment in use and forgets it', async () => {
    const deleted = await json<{ deleted: string }>(['environment', 'delete', prod, '--force']);
    expect(deleted).toEqual({ deleted: prod });
    expect(savedEnvironment(suite.home)).toBeUndefined();

    const left = await json<EnvironmentOut[]>(['environment', 'list']);
    expect(left.map((e) => e.id)).not.toContain(prod);
    expect(left.map((e) => e.id)).not.toContain(stage);
  });
});
