import type { Command } from 'commander';
import type { CliIo } from '../io.js';

export function registerServiceQuotaCommands(_program: Command, _io: CliIo): void {}
