import { type Command, Option } from 'commander';
import { ApiError } from '../api-client.js';
import type { CliIo } from '../io.js';
import { type Field, outputOption, type OutputFormat, printDone, printList, printObject } from '../output.js';
import { Session } from '../session.js';
import { aboutOne, confirmDelete, examples, printChanged, type Target } from './common.js';

/** A user as `/iam/v2/users` answers it. */
interface UserJson {
  id: string;
  email: string;
  full_name: string;
  auth_type: string;
}

/** An invitation as `/iam/v2/invitations` answers it. */
interface InvitationJson {
  id: string;
  email: string;
  auth_type: string;
  status: string;
  accepted_at?: string;
  expires_at: string;
  metadata: { created_at: string };
  user: { id: string };
  creator?: { id: string };
}

interface InvitationRow {
  invitation: InvitationJson;
  /** The invited user's full name, empty until they set one (or when the caller may not list users). */
  name: string;
}

/** The names Confluent's CLI shows for the API's authentication types. */
const authMethods: Record<string, string> = {
  AUTH_TYPE_LOCAL: 'Username/Password',
  AUTH_TYPE_SSO: 'SSO',
};
const authMethod = (authType: string) => authMethods[authType] ?? authType;

const userFields: Field<UserJson>[] = [
  { header: 'ID', key: 'id', value: (u) => u.id },
  { header: 'Name', key: 'name', value: (u) => u.full_name },
  { header: 'Authentication Method', key: 'authentication_method', value: (u) => authMethod(u.auth_type) },
  { header: 'Email', key: 'email', value: (u) => u.email },
];

const invitationFields: Field<InvitationRow>[] = [
  { header: 'ID', key: 'id', value: (r) => r.invitation.id },
  { header: 'Name', key: 'name', value: (r) => r.name },
  { header: 'Email', key: 'email', value: (r) => r.invitation.email },
  { header: 'User', key: 'user_id', value: (r) => r.invitation.user.id },
  { header: 'Status', key: 'status', value: (r) => r.invitation.status },
];

const invitationDetailFields: Field<InvitationRow>[] = [
  ...invitationFields,
  { header: 'Authentication Method', key: 'authentication_method', value: (r) => authMethod(r.invitation.auth_type) },
  { header: 'Invited By', key: 'creator_id', value: (r) => r.invitation.creator?.id },
  { header: 'Created', key: 'created_at', value: (r) => r.invitation.metadata.created_at },
  { header: 'Expires', key: 'expires_at', value: (r) => r.invitation.expires_at },
  { header: 'Accepted', key: 'accepted_at', value: (r) => r.invitation.accepted_at, empty: 'not yet' },
];

const userTarget = (id: string): Target => ({ noun: 'user', id, listCommand: 'keyplane iam user list' });
const invitationTarget = (id: string): Target => ({ noun: 'invitation', id, listCommand: 'keyplane iam user invitation list' });
const userPath = (id: string) => `/iam/v2/users/${encodeURIComponent(id)}`;
const invitationPath = (id: string) => `/iam/v2/invitations/${encodeURIComponent(id)}`;

interface InviteOptions {
  authType: 'local' | 'sso';
  output: OutputFormat;
}

interface InvitationListOptions {
  email?: string;
  status?: string;
  user?: string;
  output: OutputFormat;
}

export function registerUserCommands(iam: Command, io: CliIo): void {
  const user = iam
    .command('user')
    .summary('list, update and delete users, and invite new ones')
    .description('Manage the users of the organization and their invitations');

  user
    .command('list')
    .summary("list the organization's users")
    .description("List the organization's users")
    .addOption(outputOption())
    .action((options: { output: OutputFormat }) => list(io, options.output));

  user
    .command('describe')
    .summary('describe a user')
    .description('Describe a user')
    .argument('<id>', 'the user (u-…)')
    .addOption(outputOption())
    .action((id: string, options: { output: OutputFormat }) => describe(io, id, options.output));

  user
    .command('update')
    .summary("change a user's full name")
    .description("Change a user's full name")
    .argument('<id>', 'the user (u-…)')
    .requiredOption('--full-name <name>', "the user's full name")
    .addOption(outputOption())
    .addHelpText('after', examples('keyplane iam user update u-123456 --full-name "Ada Lovelace"'))
    .action((id: string, options: { fullName: string; output: OutputFormat }) => update(io, id, options));

  user
    .command('delete')
    .summary('delete a user from the organization')
    .description(
      'Delete a user with their API keys, role bindings and invitations. Whatever uses their keys stops working at once; this cannot be undone. Nobody can delete themselves.',
    )
    .argument('<id>', 'the user (u-…)')
    .option('--force', 'delete without asking')
    .addOption(outputOption())
    .action((id: string, options: { force?: boolean; output: OutputFormat }) => remove(io, id, options));

  const inviteDescription =
    'Invite someone to the organization by email. The user exists at once (u-…), so that API keys and role bindings can name them before they accept. Keyplane sends no email: tell them yourself.';
  const authTypeOption = () =>
    new Option('--auth-type <type>', 'how the user will log in: local (username and password) or sso').choices(['local', 'sso']).default('local');

  user
    .command('invite')
    .summary('invite a user to join the organization')
    .description(inviteDescription)
    .argument('<email>', 'the email address to invite')
    .addOption(authTypeOption())
    .addOption(outputOption())
    .addHelpText('after', examples('keyplane iam user invite ada@example.com'))
    .action((email: string, options: InviteOptions) => invite(io, email, options));

  const invitation = user.command('invitation').summary('create, list, describe and delete invitations').description('Manage invitations');

  invitation
    .command('create')
    .summary('invite a user to join the organization (the same as "iam user invite")')
    .description(inviteDescription)
    .argument('<email>', 'the email address to invite')
    .addOption(authTypeOption())
    .addOption(outputOption())
    .addHelpText('after', examples('keyplane iam user invitation create ada@example.com'))
    .action((email: string, options: InviteOptions) => invite(io, email, options));

  invitation
    .command('list')
    .summary("list the organization's invitations")
    .description("List the organization's invitations")
    .option('--email <address>', 'only the invitation to this address')
    .option('--status <status>', 'only invitations in this status, e.g. INVITE_STATUS_SENT')
    .option('--user <id>', 'only the invitation of this user (u-…)')
    .addOption(outputOption())
    .action((options: InvitationListOptions) => listInvitations(io, options));

  invitation
    .command('describe')
    .summary('describe an invitation')
    .description('Describe an invitation: who was invited, by whom, when, and whether they accepted')
    .argument('<id>', 'the invitation (i-…)')
    .addOption(outputOption())
    .action((id: string, options: { output: OutputFormat }) => describeInvitation(io, id, options.output));

  invitation
    .command('delete')
    .summary('withdraw an invitation')
    .description('Withdraw an invitation. The invited user stays; delete them with "keyplane iam user delete".')
    .argument('<id>', 'the invitation (i-…)')
    .option('--force', 'delete without asking')
    .addOption(outputOption())
    .action((id: string, options: { force?: boolean; output: OutputFormat }) => removeInvitation(io, id, options));
}

/** The organization's users by id; empty when the caller may not list users (names and emails then show blank). */
export async function usersById(session: Session): Promise<Map<string, UserJson>> {
  try {
    const users = await session.client.list<UserJson>('/iam/v2/users');
    return new Map(users.map((u) => [u.id, u]));
  } catch (error) {
    if (error instanceof ApiError && error.failure.status === 403) return new Map();
    throw error;
  }
}

async function list(io: CliIo, output: OutputFormat): Promise<void> {
  const session = Session.open(io);
  printList(io, output, userFields, await session.client.list<UserJson>('/iam/v2/users'));
}

async function describe(io: CliIo, id: string, output: OutputFormat): Promise<void> {
  const session = Session.open(io);
  printObject(io, output, userFields, await aboutOne(userTarget(id), session.client.get<UserJson>(userPath(id))));
}

async function update(io: CliIo, id: string, options: { fullName: string; output: OutputFormat }): Promise<void> {
  const session = Session.open(io);
  const user = await aboutOne(userTarget(id), session.client.patch<UserJson>(userPath(id), { full_name: options.fullName }));
  printChanged(io, options.output, `Updated user "${user.id}".`, userFields, user);
}

async function remove(io: CliIo, id: string, options: { force?: boolean; output: OutputFormat }): Promise<void> {
  const session = Session.open(io);
  const user = await aboutOne(userTarget(id), session.client.get<UserJson>(userPath(id)));
  await confirmDelete(io, options.force, 'user', [user.id], 'iam user delete');
  await aboutOne(userTarget(user.id), session.client.delete(userPath(user.id)));
  printDone(io, options.output, `Deleted user "${user.id}".`, { deleted: user.id });
}

async function invite(io: CliIo, email: string, options: InviteOptions): Promise<void> {
  const session = Session.open(io);
  const invitation = await session.client.post<InvitationJson>('/iam/v2/invitations', {
    email,
    auth_type: options.authType === 'sso' ? 'AUTH_TYPE_SSO' : 'AUTH_TYPE_LOCAL',
  });
  printChanged(
    io,
    options.output,
    `Invited "${invitation.email}" as user "${invitation.user.id}" (invitation "${invitation.id}").`,
    invitationDetailFields,
    { invitation, name: '' },
  );
}

async function listInvitations(io: CliIo, options: InvitationListOptions): Promise<void> {
  const session = Session.open(io);
  const [invitations, users] = await Promise.all([
    session.client.list<InvitationJson>('/iam/v2/invitations', { email: options.email, status: options.status, user: options.user }),
    usersById(session),
  ]);
  printList(
    io,
    options.output,
    invitationFields,
    invitations.map((invitation) => ({ invitation, name: users.get(invitation.user.id)?.full_name ?? '' })),
  );
}

async function describeInvitation(io: CliIo, id: string, output: OutputFormat): Promise<void> {
  const session = Session.open(io);
  const invitation = await aboutOne(invitationTarget(id), session.client.get<InvitationJson>(invitationPath(id)));
  // The name is a courtesy: a user the caller may not read leaves it blank.
  const user = await session.client.get<UserJson>(userPath(invitation.user.id)).catch((error: unknown) => {
    if (error instanceof ApiError) return undefined;
    throw error;
  });
  printObject(io, output, invitationDetailFields, { invitation, name: user?.full_name ?? '' });
}

async function removeInvitation(io: CliIo, id: string, options: { force?: boolean; output: OutputFormat }): Promise<void> {
  const session = Session.open(io);
  const invitation = await aboutOne(invitationTarget(id), session.client.get<InvitationJson>(invitationPath(id)));
  await confirmDelete(io, options.force, 'invitation', [invitation.id], 'iam user invitation delete');
  await aboutOne(invitationTarget(invitation.id), session.client.delete(invitationPath(invitation.id)));
  printDone(io, options.output, `Deleted invitation "${invitation.id}"; user "${invitation.user.id}" stays.`, {
    deleted: invitation.id,
    user_id: invitation.user.id,
  });
}
