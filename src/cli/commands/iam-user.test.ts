import { beforeAll, describe, expect, it } from 'vitest';
import { cliSuite, inTerminal, stable } from '../../../test/support/cli.js';

const suite = cliSuite();

let admin: string;

interface ListedUser {
  id: string;
  name: string;
  authentication_method: string;
  email: string;
}

interface ListedInvitation {
  id: string;
  name: string;
  email: string;
  user_id: string;
  status: string;
  authentication_method: string;
  creator_id: string | null;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
}

beforeAll(async () => {
  admin = (await suite.kp.api<{ spec: { owner: { id: string } } }>('GET', `/iam/v2/api-keys/${suite.kp.adminKey}`)).spec.owner.id;
});

const { run, json } = suite;
const invite = (email: string) => suite.kp.api<{ id: string; user: { id: string } }>('POST', '/iam/v2/invitations', { email });
const exists = (path: string) =>
  suite.kp.api('GET', path).then(
    () => true,
    () => false,
  );

describe('keyplane iam user invite and invitation', () => {
  it('invites by email in one sentence, or answers scripts with the invitation; a second invite of the address is refused', async () => {
    const invited = await run(['iam', 'user', 'invite', 'Ada@Example.com']);
    expect(invited).toMatchObject({ code: 0, stderr: '' });
    expect(invited.stdout).toMatch(/^Invited "ada@example\.com" as user "u-[a-z0-9]{6}" \(invitation "i-[a-z0-9]{5}"\)\.\n$/);

    const sso = await json<ListedInvitation>(['iam', 'user', 'invitation', 'create', 'bob@example.com', '--auth-type', 'sso']);
    expect(sso).toEqual({
      id: expect.stringMatching(/^i-/),
      name: '',
      email: 'bob@example.com',
      user_id: expect.stringMatching(/^u-/),
      status: 'INVITE_STATUS_SENT',
      authentication_method: 'SSO',
      creator_id: admin,
      created_at: expect.stringMatching(/^\d{4}-/),
      expires_at: expect.stringMatching(/^\d{4}-/),
      accepted_at: null,
    });
    expect(await suite.kp.api('GET', `/iam/v2/users/${sso.user_id}`)).toMatchObject({ email: 'bob@example.com', auth_type: 'AUTH_TYPE_SSO' });

    const again = await run(['iam', 'user', 'invite', 'ada@example.com']);
    expect(again).toMatchObject({ code: 1, stderr: "keyplane: error: A user with the email 'ada@example.com' already exists\n" });
    const badType = await run(['iam', 'user', 'invite', 'carol@example.com', '--auth-type', 'ldap']);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toMatch(/^keyplane: error: option '--auth-type <type>' argument 'ldap' is invalid/);
  });

  it("lists invitations with Confluent's columns, filters them, and describes one", async () => {
    const { id, user } = await invite('dave@example.com');
    await suite.kp.api('PATCH', `/iam/v2/users/${user.id}`, { full_name: 'Dave Doe' });
    await invite('erin@example.com');

    const table = await run(['iam', 'user', 'invitation', 'list', '--email', 'dave@example.com']);
    expect(table.code).toBe(0);
    expect(stable(table.stdout)).toMatchSnapshot();
    const all = await json<ListedInvitation[]>(['iam', 'user', 'invitation', 'list']);
    expect(all.map((i) => i.email)).toEqual(expect.arrayContaining(['dave@example.com', 'erin@example.com']));
    expect(all.find((i) => i.id === id)).toEqual({ id, name: 'Dave Doe', email: 'dave@example.com', user_id: user.id, status: 'INVITE_STATUS_SENT' });

    const described = await run(['iam', 'user', 'invitation', 'describe', id]);
    expect(described.code).toBe(0);
    expect(stable(described.stdout)).toMatchSnapshot();
    const unknown = await run(['iam', 'user', 'invitation', 'describe', 'i-nosuch']);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'keyplane: error: invitation "i-nosuch" does not exist, or you may not see it; see "keyplane iam user invitation list"\n',
    });
  });

  it('withdraws an invitation with --force and keeps the user; without a terminal it asks for --force', async () => {
    const { id, user } = await invite('frank@example.com');
    const unasked = await run(['iam', 'user', 'invitation', 'delete', id]);
    expect(unasked.code).toBe(2);
    expect(await exists(`/iam/v2/invitations/${id}`)).toBe(true);
    const deleted = await run(['iam', 'user', 'invitation', 'delete', id, '--force']);
    expect(deleted).toMatchObject({ code: 0, stderr: '', stdout: `Deleted invitation "${id}"; user "${user.id}" stays.\n` });
    expect(await exists(`/iam/v2/invitations/${id}`)).toBe(false);
    expect(await exists(`/iam/v2/users/${user.id}`)).toBe(true);
  });
});

describe('keyplane iam user list, describe and update', () => {
  it("lists and describes users with Confluent's columns", async () => {
    const { user } = await invite('grace@example.com');
    await suite.kp.api('PATCH', `/iam/v2/users/${user.id}`, { full_name: 'Grace Hopper' });

    const table = await run(['iam', 'user', 'list']);
    expect(table.code).toBe(0);
    expect(stable(table.stdout)).toMatchSnapshot();
    const users = await json<ListedUser[]>(['iam', 'user', 'list']);
    expect(users.find((u) => u.id === admin)).toEqual({
      id: admin,
      name: 'Keyplane Admin',
      authentication_method: 'Username/Password',
      email: 'admin@keyplane.local',
    });

    const described = await run(['iam', 'user', 'describe', user.id]);
    expect(described.code).toBe(0);
    expect(stable(described.stdout)).toMatchSnapshot();
    const unknown = await run(['iam', 'user', 'describe', 'u-nosuch']);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'keyplane: error: user "u-nosuch" does not exist, or you may not see it; see "keyplane iam user list"\n',
    });
  });

  it('changes the full name, says so in one sentence, and answers scripts with the user', async () => {
    const { user } = await invite('heidi@example.com');
    const updated = await run(['iam', 'user', 'update', user.id, '--full-name', 'Heidi']);
    expect(updated).toMatchObject({ code: 0, stderr: '', stdout: `Updated user "${user.id}".\n` });
    expect(await json<ListedUser>(['iam', 'user', 'update', user.id, '--full-name', 'Heidi Lamarr'])).toEqual({
      id: user.id,
      name: 'Heidi Lamarr',
      authentication_method: 'Username/Password',
      email: 'heidi@example.com',
    });
    expect(await suite.kp.api('GET', `/iam/v2/users/${user.id}`)).toMatchObject({ full_name: 'Heidi Lamarr' });
    const missing = await run(['iam', 'user', 'update', user.id]);
    expect(missing).toMatchObject({
      code: 2,
      stderr: 'keyplane: error: required option \'--full-name <name>\' not specified; see "keyplane iam user update --help"\n',
    });
  });
});

describe('keyplane iam user delete', () => {
  it('asks at a terminal (n keeps the user, y deletes it), and refuses to delete oneself', async () => {
    const { user } = await invite('ivan@example.com');
    const no = await inTerminal(['iam', 'user', 'delete', user.id], { home: suite.home, answers: [{ after: '(y/n): ', type: 'n' }] });
    expect(no.code).toBe(1);
    expect(no.stdout).toContain(`Are you sure you want to delete user "${user.id}"? (y/n): n\n`);
    expect(no.stdout).toContain(`keyplane: error: cancelled; user "${user.id}" was not deleted`);
    expect(await exists(`/iam/v2/users/${user.id}`)).toBe(true);

    const yes = await inTerminal(['iam', 'user', 'delete', user.id], { home: suite.home, answers: [{ after: '(y/n): ', type: 'y' }] });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(`(y/n): y\nDeleted user "${user.id}".\n`);
    expect(await exists(`/iam/v2/users/${user.id}`)).toBe(false);

    const self = await run(['iam', 'user', 'delete', admin, '--force']);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/^keyplane: error: .*cannot delete themselves.*\n$/);
  });

  it('deletes with --force, answering scripts with what it deleted', async () => {
    const { user } = await invite('judy@example.com');
    expect(await json(['iam', 'user', 'delete', user.id, '--force'])).toEqual({ deleted: user.id });
    expect(await exists(`/iam/v2/users/${user.id}`)).toBe(false);
    const unknown = await run(['iam', 'user', 'delete', user.id, '--force']);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: `keyplane: error: user "${user.id}" does not exist, or you may not see it; see "keyplane iam user list"\n`,
    });
  });
});
