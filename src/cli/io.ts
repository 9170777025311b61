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
  /** Asks for a line of text, not echoed when hidden; absent when nobody is at a terminal to answer. */
  ask?: (question: string, options?: { hidden?: boolean }) => Promise<string>;
  /** All of standard input, when it is a pipe or a file rather than a terminal. */
  readStdin?: () => Promise<string>;
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

  constructor(message: string, options: { suggestion?: string | undefined; exitCode?: number; cause?: unknown } = {}) {
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

/** A failure the command's own output has already reported: only its exit code is left to give. */
export class ReportedFailure extends Error {
  override name = 'ReportedFailure';

  constructor(readonly exitCode: number) {
    super('reported');
  }
}

export function errorLine(message: string, suggestion?: string): string {
  return `keyplane: error: ${message}${suggestion ? `; ${suggestion}` : ''}\n`;
}

/**
 * Asks for confirmation unless `force` says not to. Without a terminal to ask at, the command is
 * refused rather than carried out unasked.
 */
export async function confirmOrForce(io: CliIo, force: boolean | undefined, question: string, what: string): Promise<boolean> {
  if (force) return true;
  if (!io.confirm) throw new UsageError(`${what} asks for confirmation, and there is no terminal to ask at`, 'add --force to go ahead without asking');
  return io.confirm(question);
}

/**
 * The process's streams. Questions are asked when standard input and standard error are a
 * terminal, and are written to standard error, so that `-o json > file` still asks at a terminal
 * and the answer file holds only JSON.
 */
export function processIo(): CliIo {
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  if (!interactive) {
    return {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      ...(process.stdin.isTTY ? {} : { readStdin: () => text(process.stdin) }),
    };
  }
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    confirm: async (question: string) => /^y(es)?$/i.test((await askLine(`${question} (y/n): `)).trim()),
    ask: (question, options) => (options?.hidden ? askHidden(question) : askLine(question)),
  };
}

async function askLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } catch (error) {
    // Ctrl-C or Ctrl-D at the question.
    if ((error as Error)?.name === 'AbortError') throw new CliError('cancelled');
    throw error;
  } finally {
    rl.close();
  }
}

/** Reads a line in raw mode without echoing it, for secrets. Ctrl-C cancels. */
function askHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  // Echo goes off before the question shows, so that nothing typed in answer is ever echoed.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(text);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new CliError('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (ch >= ' ') text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
