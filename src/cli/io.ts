import { createInterface } from 'node:readline/promises';

export interface Output {
  write(text: string): unknown;
  /** A terminal, where a line can be redrawn in place. */
  isTTY?: boolean;
}

/** Everything a command touches outside itself, so that commands run the same in tests. */
export interface CliIo {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  /** Asks a yes/no question; absent when nobody is at a terminal to answer. */
  confirm?: (question: string) => Promise<boolean>;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * An expected way for a command to fail: printed as one `keyplane: error: …` line, with a
 * suggestion after it where one helps. Messages never hold a secret or a database password.
 */
export class CliError extends Error {
  override name = 'CliError';
  readonly suggestion: string | undefined;
  readonly exitCode: number;

  constructor(message: string, options: { suggestion?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.suggestion = options.suggestion;
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
  }
}

export class UsageError extends CliError {
  override name = 'UsageError';

  constructor(message: string, suggestion?: string) {
    super(message, { exitCode: EXIT_USAGE, ...(suggestion ? { suggestion } : {}) });
  }
}

export function errorLine(message: string, suggestion?: string): string {
  return `keyplane: error: ${message}${suggestion ? `; ${suggestion}` : ''}\n`;
}

export function processIo(): CliIo {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    ...(interactive
      ? {
          confirm: async (question: string) => {
            const rl = createInterface({ input: process.stdin, output: process.stdout });
            try {
              return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
            } finally {
              rl.close();
            }
          },
        }
      : {}),
  };
}
