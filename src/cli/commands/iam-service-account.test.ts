import { describe, expect, it } from 'vitest';
import { cliSuite, inTerminal, stable } from '../../../test/support/cli.js';

const suite = cliSuite();


interface ListedAccount {
  id: string;
  name: string;
  description: string;
}


const { run, json } = suite;
const exists = (id: string) =>
  suite.kp.api('GET', `/iam/v2/service-accounts/${id}`).then(
    () => true,
    () => false,
  );

describe('keyplane iam service-account create and list', () => {
  it("creates with Confluent's describe table, and lists with its columns, by name when asked", async () => {
    const created = await run(['iam', 'service-account', 'create', 'orders-app', '--description', 'Orders service']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(stable(created.stdout)).toMatchSnapshot();
    const payments = await json<ListedAccount>(['iam', 'sa', 'create', 'payments-app']);
    expect(payments).toEqual({ id: expect.stringMatching(/^sa-[a-z0-9]{6}$/), name: 'payments-app', description: '' });

    const byName = await run(['iam', 'service-account', 'list', '--display-name', 'orders-app,payments-app,nobody']);
    expect(byName.code).toBe(0);
    expect(stable(byName.stdout)).toMatchSnapshot();
    const all = await json<ListedAccount[]>(['iam', 'service-account', 'list']);
    expect(all.map((a) => a.name).sort()).toEqual(['orders-app', 'payments-app']);
    expect(all.find((a) => a.name === 'orders-app')).toEqual({ id: expect.stringMatching(/^sa-/), name: 'orders-app', description: 'Orders service' });
    expect(await json<ListedAccount[]>(['iam', 'service-account', 'list', '--display-name', 'payments-app'])).toEqual([payments]);
  });

  it('passes a refused create on as one line', async () => {
    const duplicate = await run(['iam', 'service-account', 'create', 'orders-app']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/^keyplane: error: .*orders-app.*\n$/);
    const noName = await run(['iam', 'service-account', 'create']);
    expect(noName).toMatchObject({
      code: 2,
      stderr: 'keyplane: error: missing required argument \'name\'; see "keyplane iam service-account create --help"\n',
    });
  });
});

describe('keyplane iam service-account describe and update', () => {
  it('describes an account, and names an unknown one', async () => {
    const { id } = await suite.kp.api<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: 'described', description: 'Described here' });
    const table = await run(['iam', 'service-account', 'describe', id]);
    expect(table.code).toBe(0);
    expect(stable(table.stdout)).toMatchSnapshot();
    expect(await json<ListedAccount>(['iam', 'service-account', 'describe', id])).toEqual({ id, name: 'described', description: 'Described here' });
    const unknown = await run(['iam', 'service-account', 'describe', 'sa-nosuch']);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'keyplane: error: service account "sa-nosuch" does not exist, or you may not see it; see "keyplane iam service-account list"\n',
    });
  });

  it('updates the description and the name, says so in one sentence, and answers scripts with the account', async () => {
    const { id } = await suite.kp.api<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: 'before', description: 'old' });
    const updated = await run(['iam', 'service-account', 'update', id, '--description', 'new']);
    expect(updated).toMatchObject({ code: 0, stderr: '', stdout: `Updated service account "${id}".\n` });
    expect(await json<ListedAccount>(['iam', 'service-account', 'update', id, '--display-name', 'after'])).toEqual({
      id,
      name: 'after',
      description: 'new',
    });
    expect(await suite.kp.api('GET', `/iam/v2/service-accounts/${id}`)).toMatchObject({ display_name: 'after', description: 'new' });

    const nothing = await run(['iam', 'service-account', 'update', id]);
    expect(nothing).toMatchObject({ code: 2, stderr: 'keyplane: error: nothing to change; give --description, --display-name, or both\n' });
    const unknown = await run(['iam', 'service-account', 'update', 'sa-nosuch', '--description', 'x']);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'keyplane: error: service account "sa-nosuch" does not exist, or you may not see it; see "keyplane iam service-account list"\n',
    });
  });
});

describe('keyplane iam service-account delete', () => {
  it('asks "Are you sure…? (y/n)" at a terminal: n keeps the account, y deletes it', async () => {
    const { id } = await suite.kp.api<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: 'asked' });
    const no = await inTerminal(['iam', 'service-account', 'delete', id], { home: suite.home, answers: [{ after: '(y/n): ', type: 'n' }] });
    expect(no.code).toBe(1);
    expect(no.stdout).toContain(`Are you sure you want to delete service account "${id}"? (y/n): n\n`);
    expect(no.stdout).toContain(`keyplane: error: cancelled; service account "${id}" was not deleted`);
    expect(await exists(id)).toBe(true);

    const yes = await inTerminal(['iam', 'service-account', 'delete', id], { home: suite.home, answers: [{ after: '(y/n): ', type: 'y' }] });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(`(y/n): y\nDeleted service account "${id}".\n`);
    expect(await exists(id)).toBe(false);
  });

  it('refuses to delete unasked without a terminal, deletes with --force, and names an unknown account', async () => {
    const { id } = await suite.kp.api<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: 'forced' });
    const unasked = await run(['iam', 'service-account', 'delete', id]);
    expect(unasked).toMatchObject({
      code: 2,
      stderr:
        'keyplane: error: iam service-account delete asks for confirmation, and there is no terminal to ask at; add --force to go ahead without asking\n',
    });
    expect(await exists(id)).toBe(true);
    expect(await json(['iam', 'service-account', 'delete', id, '--force'])).toEqual({ deleted: id });
    expect(await exists(id)).toBe(false);

    const unknown = await run(['iam', 'service-account', 'delete', id, '--force']);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: `keyplane: error: service account "${id}" does not exist, or you may not see it; see "keyplane iam service-account list"\n`,
    });
    const badFlag = await run(['iam', 'service-account', 'delete', id, '--forse']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/^keyplane: error: unknown option '--forse'; did you mean --force\?\n$/);
  });
});
