import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { registerRoleBindingCommands } from './iam-role-binding.js';
import { registerServiceAccountCommands } from './iam-service-account.js';
import { registerUserCommands } from './iam-user.js';

/** `iam service-account`, `iam user` (with invitations) and `iam rbac role-binding`. */
export function registerIamCommands(program: Command, io: CliIo): void {
  const iam = program
    .command('iam')
    .summary('manage service accounts, users, invitations and role bindings')
    .description('Manage identity and access: service accounts, users and their invitations, and role bindings');
  registerServiceAccountCommands(iam, io);
  registerUserCommands(iam, io);
  registerRoleBindingCommands(iam, io);
}
