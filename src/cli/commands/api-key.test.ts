import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliSuite, inTerminal, keyplane, stable } from '../../../test/support/cli.js';

// Last use is written every second, so that --unused-for sees it without a long wait.
const suite = cliSuite({ KEYPLANE_LAST_USED_INTERVAL_SECONDS: '1' });

let environment: string;
let cluster: string;
let otherCluster: string;
let serviceAccount: string;

interface ListedKey {
  current: boolean;
  key: string;
  description: string;
  owner: string;
  owner_email: string;
  resource_type: string;
  resource_id: string;
  created: string;
  last_used: string | null;
}

beforeAll(async () => {
  environment = (await suite.kp.api<{ data: { id: string }[] }>('GET', '/org/v2/environments')).data[0]!.id;
  const clusterBody = (name: string) => ({
    spec: { display_name: name, environment: { id: environment }, cloud: 'aws', region: 'us-east-1', config: { kind: 'Basic' } },
  });
  cluster = (await suite.kp.api<{ id: string }>('POST', '/cmk/v2/clusters', clusterBody('orders'))).id;
  otherCluster = (await suite.kp.api<{ id: string }>('POST', '/cmk/v2/clusters', clusterBody('payments'))).id;
  serviceAccount = (
    await suite.kp.api<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: 'orders-app', description: 'Orders' })
  ).id;
});

const { run, json } = suite;
const config = () => JSON.parse(readFileSync(join(suite.home, '.keyplane', 'config.json'), 'utf8'));
const context = () => {
  const c = config();
  return c.contexts[c.current_context];
};

async function createKey(args: string[]): Promise<{ api_key: string; api_secret: string }> {
  return json(['api-key', 'create', ...args]);
}

describe('keyplane api-key create', () => {
  it('prints the key and secret table and the warning that the secret cannot be retrieved later', async () => {
    const created = await run(['api-key', 'create', '--resource', cluster, '--service-account', serviceAccount, '--description', 'prod key']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(stable(created.stdout)).toMatchSnapshot();
    const key = /\| API Key {4}\| ([A-Z0-9]{16}) /.exec(created.stdout)![1]!;
    const [listed] = await json<ListedKey[]>(['api-key', 'list', '--resource', cluster, '--service-account', serviceAccount]);
    expect(listed).toMatchObject({ key, description: 'prod key', owner: serviceAccount, owner_email: '<service account>', resource_type: 'kafka', resource_id: cluster });
  });

  it('answers -o json and -o yaml with the key and secret', async () => {
    const created = await createKey(['--resource', 'cloud', '--description', 'automation']);
    expect(created.api_key).toMatch(/^[A-Z0-9]{16}$/);
    expect(created.api_secret).toMatch(/^cflt[A-Za-z0-9+/]{60}$/);
    const yaml = await run(['api-key', 'create', '--resource', 'cloud', '-o', 'yaml']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toMatch(/^api_key: [A-Z0-9]{16}\napi_secret: cflt[A-Za-z0-9+/]{60}\n$/);
  });

  it('creates a Flink key from --resource flink --cloud --region --environment, and says what is missing', async () => {
    const created = await createKey(['--resource', 'flink', '--cloud', 'aws', '--region', 'us-east-1', '--environment', environment]);
    const described = await json<ListedKey & { environment: string }>(['api-key', 'describe', created.api_key]);
    expect(described).toMatchObject({ resource_type: 'flink', resource_id: 'aws.us-east-1', environment });
    const missing = await run(['api-key', 'create', '--resource', 'flink', '--cloud', 'aws', '--environment', environment]);
    expect(missing).toMatchObject({ code: 2, stderr: 'keyplane: error: a Flink key needs --region; e.g. --cloud aws --region us-east-1\n' });
    const noResource = await run(['api-key', 'create']);
    expect(noResource.code).toBe(2);
    expect(noResource.stderr).toBe('keyplane: error: required option \'--resource <id>\' not specified; see "keyplane api-key create --help"\n');
  });

  it('passes the server\'s refusal on as one line naming the problem', async () => {
    const unknown = await run(['api-key', 'create', '--resource', 'lkc-nosuch']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^keyplane: error: .*lkc-nosuch.*\n$/);
    const badOwner = await run(['api-key', 'create', '--resource', 'cloud', '--service-account', 'sa-nosuch']);
    expect(badOwner.code).toBe(1);
    expect(badOwner.stderr).toMatch(/^keyplane: error: .*sa-nosuch.*\n$/);
  });
});

describe('keyplane api-key list, describe and update', () => {
  it('lists with Confluent\'s columns and filters by service account, resource and current user', async () => {
    const sa = (
      await suite.kp.api<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: 'list-test', description: '' })
    ).id;
    await createKey(['--resource', cluster, '--service-account', sa, '--description', 'alpha']);
    await createKey(['--resource', otherCluster, '--service-account', sa, '--description', 'beta']);

    const table = await run(['api-key', 'list', '--service-account', sa]);
    expect(table.code).toBe(0);
    expect(stable(table.stdout)).toMatchSnapshot();

    const byResource = await json<ListedKey[]>(['api-key', 'list', '--service-account', sa, '--resource', otherCluster]);
    expect(byResource.map((k) => k.description)).toEqual(['beta']);
    const mine = await json<ListedKey[]>(['api-key', 'list', '--current-user']);
    expect(mine.length).toBeGreaterThan(0);
    expect(new Set(mine.map((k) => k.owner)).size).toBe(1);
    expect(mine.map((k) => k.key)).toContain(suite.kp.adminKey);
    expect(new Set(mine.map((k) => k.owner_email))).toEqual(new Set(['admin@keyplane.local']));
    const both = await run(['api-key', 'list', '--current-user', '--service-account', sa]);
    expect(both).toMatchObject({ code: 2, stderr: 'keyplane: error: --service-account and --current-user cannot be used together\n' });
  });

  it('passes on the server\'s refusal of control characters as one line naming the field, and creates nothing', async () => {
    const before = (await json<ListedKey[]>(['api-key', 'list', '--resource', cluster])).length;
    const hostile = await run(['api-key', 'create', '--resource', cluster, '--service-account', serviceAccount, '--description', 'red\u001b[31m alert']);
    expect(hostile).toMatchObject({ code: 1, stdout: '', stderr: 'keyplane: error: spec.description must not contain control characters\n' });
    expect((await json<ListedKey[]>(['api-key', 'list', '--resource', cluster])).length).toBe(before);
  });

  it('describes a key, updates its description, and names an unknown key', async () => {
    const { api_key: key } = await createKey(['--resource', cluster, '--service-account', serviceAccount, '--description', 'before']);
    const updated = await run(['api-key', 'update', key, '--description', 'after']);
    expect(updated).toMatchObject({ code: 0, stdout: `Updated API key "${key}".\n` });
    const described = await run(['api-key', 'describe', key]);
    expect(described.code).toBe(0);
    expect(stable(described.stdout)).toMatchSnapshot();
    expect(described.stdout).toContain('| Description   | after ');
    const unknown = await run(['api-key', 'describe', 'NOSUCHKEY0000000']);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'keyplane: error: API key "NOSUCHKEY0000000" does not exist, or you may not see it; see "keyplane api-key list"\n',
    });
    const noDescription = await run(['api-key', 'update', key]);
    expect(noDescription.code).toBe(2);
  });

  it('--unused-for lists keys not used for that long, and last use shows once a key authenticates', async () => {
    const used = await createKey(['--resource', 'cloud', '--description', 'used']);
    const idle = await createKey(['--resource', 'cloud', '--description', 'idle']);
    const asUsed = await keyplane(['api-key', 'describe', used.api_key, '-o', 'json'], {
      home: suite.kp.home(),
      env: { KEYPLANE_URL: suite.kp.url, KEYPLANE_API_KEY: used.api_key, KEYPLANE_API_SECRET: used.api_secret },
    });
    expect(asUsed.code).toBe(0);
    let unused: ListedKey[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      unused = await json<ListedKey[]>(['api-key', 'list', '--unused-for', '1d']);
      if (!unused.some((k) => k.key === used.api_key)) break;
      await new Promise((done) => setTimeout(done, 250));
    }
    expect(unused.map((k) => k.key)).toContain(idle.api_key);
    expect(unused.map((k) => k.key)).not.toContain(used.api_key);
    expect(unused.find((k) => k.key === idle.api_key)!.last_used).toBeNull();
    const usedNow = await json<ListedKey>(['api-key', 'describe', used.api_key]);
    expect(usedNow.last_used).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/);

    const human = await run(['api-key', 'list', '--unused-for', '1d', '--resource', 'cloud']);
    expect(human.stdout.split('\n')[0]).toMatch(/\| +Created +\| +Last Used$/);
    const bad = await run(['api-key', 'list', '--unused-for', '30 days']);
    expect(bad).toMatchObject({ code: 2, stderr: 'keyplane: error: --unused-for must be a number and a unit, such as 30d, 12h, 2w or 90m, not "30 days"\n' });
  });
});

describe('keyplane api-key delete', () => {
  it('asks "Are you sure…? (y/n)" at a terminal: n keeps the key, y deletes it', async () => {
    const { api_key: key } = await createKey(['--resource', cluster, '--service-account', serviceAccount]);
    const no = await inTerminal(['api-key', 'delete', key], { home: suite.home, answers: [{ after: '(y/n): ', type: 'n' }] });
    expect(no.code).toBe(1);
    expect(no.stdout).toContain(`API key "${key}" (${cluster}) was never used.\nAre you sure you want to delete API key "${key}"? (y/n): n\n`);
    expect(no.stdout).toContain(`keyplane: error: cancelled; API key "${key}" was not deleted`);
    expect((await run(['api-key', 'describe', key])).code).toBe(0);

    const yes = await inTerminal(['api-key', 'delete', key], { home: suite.home, answers: [{ after: '(y/n): ', type: 'y' }] });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(`(y/n): y\nDeleted API key "${key}".\n`);
    expect((await run(['api-key', 'describe', key])).code).toBe(1);
  });

  it('refuses to delete unasked without a terminal, deletes with --force, and checks every key first', async () => {
    const a = await createKey(['--resource', cluster, '--service-account', serviceAccount]);
    const b = await createKey(['--resource', cluster, '--service-account', serviceAccount]);
    const unasked = await run(['api-key', 'delete', a.api_key]);
    expect(unasked).toMatchObject({
      code: 2,
      stderr: 'keyplane: error: api-key delete asks for confirmation, and there is no terminal to ask at; add --force to go ahead without asking\n',
    });
    const typo = await run(['api-key', 'delete', a.api_key, 'NOSUCHKEY0000000', '--force']);
    expect(typo.code).toBe(1);
    expect((await run(['api-key', 'describe', a.api_key])).code).toBe(0);

    expect(context().api_keys[a.api_key]).toBeDefined();
    const deleted = await run(['api-key', 'delete', a.api_key, b.api_key, '--force', '-o', 'json']);
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout)).toEqual({ deleted: [a.api_key, b.api_key] });
    // Their stored secrets go with them.
    expect(context().api_keys[a.api_key]).toBeUndefined();
    expect(context().api_keys[b.api_key]).toBeUndefined();
    const remaining = await json<ListedKey[]>(['api-key', 'list', '--resource', cluster]);
    expect(remaining.map((k) => k.key)).not.toContain(a.api_key);
    expect(remaining.map((k) => k.key)).not.toContain(b.api_key);
  });
});

describe('keyplane api-key store, use and rotate', () => {
  it('keeps a resource key\'s secret on create, as Confluent\'s CLI does, so that "use" works next', async () => {
    const { api_key: key, api_secret: secret } = await createKey(['--resource', cluster, '--service-account', serviceAccount]);
    expect(context().api_keys[key]).toEqual({ secret, resource: cluster });
    expect((await run(['api-key', 'use', key])).code).toBe(0);
    const cloud = await createKey(['--resource', 'cloud']);
    expect(context().api_keys[cloud.api_key]).toBeUndefined();
  });

  it('stores a secret after checking with the server that the key exists and is for the resource, and uses it', async () => {
    // Made through the API, so that nothing of it is stored locally yet.
    const made = await suite.kp.api<{ id: string; spec: { secret: string } }>('POST', '/iam/v2/api-keys', {
      spec: { owner: { id: serviceAccount }, resource: { id: cluster } },
    });
    const [key, secret] = [made.id, made.spec.secret];

    const mismatch = await run(['api-key', 'store', key, secret, '--resource', otherCluster]);
    expect(mismatch).toMatchObject({
      code: 1,
      stderr: `keyplane: error: API key "${key}" is for ${cluster}, not ${otherCluster}; store it with --resource ${cluster}\n`,
    });
    const typo = await run(['api-key', 'store', key, `${secret.slice(0, 20)}x${secret.slice(21)}`]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^keyplane: error: that is not an API secret: .*; check it for a typo or a missing character\n$/);
    expect(typo.stderr).not.toContain(secret.slice(20));
    const unknown = await run(['api-key', 'store', 'NOSUCHKEY0000000', secret]);
    expect(unknown.code).toBe(1);
    expect(context().api_keys[key]).toBeUndefined();

    const stored = await run(['api-key', 'store', key, '-', '--resource', cluster], { input: `${secret}\n` });
    expect(stored).toMatchObject({ code: 0, stdout: `Stored the secret of API key "${key}" for ${cluster}.\n` });
    expect(context().api_keys[key]).toEqual({ secret, resource: cluster });
    // Storing tries nothing with the secret, so the key still counts as unused.
    expect((await json<ListedKey>(['api-key', 'describe', key])).last_used).toBeNull();
    const again = await run(['api-key', 'store', key, secret]);
    expect(again).toMatchObject({ code: 1, stderr: `keyplane: error: a secret for API key "${key}" is already stored; add --force to replace it\n` });

    const use = await run(['api-key', 'use', key]);
    expect(use).toMatchObject({ code: 0, stdout: `Using API key "${key}" for ${cluster}.\n` });
    expect(context().active_api_keys[cluster]).toBe(key);
    const listed = await json<ListedKey[]>(['api-key', 'list', '--resource', cluster]);
    expect(listed.filter((k) => k.current).map((k) => k.key)).toEqual([key]);
    const table = await run(['api-key', 'list', '--resource', cluster]);
    expect(table.stdout).toMatch(new RegExp(`\\n {2}\\* +\\| ${key} `));

    const notStored = await run(['api-key', 'use', suite.kp.adminKey]);
    expect(notStored).toMatchObject({
      code: 1,
      stderr: `keyplane: error: the secret of API key "${suite.kp.adminKey}" is not stored here; run "keyplane api-key store ${suite.kp.adminKey}" first\n`,
    });
  });

  it('keeps every change when several commands change the config file at once', async () => {
    const made = await Promise.all(
      Array.from({ length: 6 }, () =>
        suite.kp.api<{ id: string; spec: { secret: string } }>('POST', '/iam/v2/api-keys', { spec: { owner: { id: serviceAccount }, resource: { id: otherCluster } } }),
      ),
    );
    const results = await Promise.all(made.map((k) => run(['api-key', 'store', k.id, k.spec.secret])));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    for (const k of made) expect(context().api_keys[k.id]).toEqual({ secret: k.spec.secret, resource: otherCluster });
  });

  it('rotate makes a key with the same owner, resource and description, carries the stored secret over, and keeps the old key unless told', async () => {
    const old = await createKey(['--resource', otherCluster, '--service-account', serviceAccount, '--description', 'rotating', '--use']);
    expect(context().active_api_keys[otherCluster]).toBe(old.api_key);

    const rotated = await run(['api-key', 'rotate', old.api_key]);
    expect(rotated.code).toBe(0);
    expect(stable(rotated.stdout)).toMatchSnapshot();
    const fresh = /\| API Key {4}\| ([A-Z0-9]{16}) /.exec(rotated.stdout)![1]!;
    const freshSecret = /\| API Secret \| (cflt\S+) /.exec(rotated.stdout)![1]!;
    const described = await json<ListedKey>(['api-key', 'describe', fresh]);
    expect(described).toMatchObject({ owner: serviceAccount, resource_id: otherCluster, description: 'rotating' });
    expect(context().api_keys[fresh]).toEqual({ secret: freshSecret, resource: otherCluster });
    expect(context().active_api_keys[otherCluster]).toBe(fresh);
    expect((await run(['api-key', 'describe', old.api_key])).code).toBe(0);

    const second = await json<{ api_key: string; api_secret: string; replaces: string; old_deleted: boolean; stored: boolean }>([
      'api-key',
      'rotate',
      fresh,
      '--delete-old',
    ]);
    expect(second).toMatchObject({ replaces: fresh, old_deleted: true, stored: true });
    expect((await run(['api-key', 'describe', fresh])).code).toBe(1);
    expect(context().api_keys[fresh]).toBeUndefined();
    expect(context().active_api_keys[otherCluster]).toBe(second.api_key);
  });

  it('rotate asks at a terminal whether to delete the old key', async () => {
    const old = await createKey(['--resource', cluster, '--service-account', serviceAccount, '--description', 'asked']);
    const kept = await inTerminal(['api-key', 'rotate', old.api_key], { home: suite.home, answers: [{ after: '(y/n): ', type: 'n' }] });
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain(`The old API key "${old.api_key}" still works`);
    const replaced = await inTerminal(['api-key', 'rotate', old.api_key], { home: suite.home, answers: [{ after: '(y/n): ', type: 'y' }] });
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toContain(`Deleted the old API key "${old.api_key}".`);
    expect((await run(['api-key', 'describe', old.api_key])).code).toBe(1);
  });

  it('rotating the login key itself moves the login to the new key', async () => {
    const loginHome = suite.kp.home();
    const own = await createKey(['--resource', 'cloud', '--description', 'own login']);
    const login = await keyplane(['login', '--url', suite.kp.url], { home: loginHome, env: { KEYPLANE_API_KEY: own.api_key, KEYPLANE_API_SECRET: own.api_secret } });
    expect(login.code).toBe(0);
    const rotated = await keyplane(['api-key', 'rotate', own.api_key, '--delete-old', '-o', 'json'], { home: loginHome });
    expect(rotated.code).toBe(0);
    const { api_key: fresh } = JSON.parse(rotated.stdout);
    const after = await keyplane(['api-key', 'describe', fresh, '-o', 'json'], { home: loginHome });
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).description).toBe('own login');
  });
});
