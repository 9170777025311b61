import type { Command } from 'commander';
import type { CliIo } from '../io.js';

/** `kafka cluster`, `schema-registry cluster` and `ksql cluster`. */
export function registerClusterCommands(_program: Command, _io: CliIo): void {}
