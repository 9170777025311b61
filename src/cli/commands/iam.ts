import type { Command } from 'commander';
import type { CliIo } from '../io.js';

/** `iam service-account`, `iam user` (with invitations) and `iam rbac role-binding`. */
export function registerIamCommands(_program: Command, _io: CliIo): void {}
