import { ApiError } from '../api-client.js';
import { CliError, type CliIo, confirmOrForce } from '../io.js';
import { type Field, type OutputFormat, printObject } from '../output.js';

/** One object a command names, as its error messages speak of it. */
export interface Target {
  /** As people read it: `API key`, `service account`, `environment`, `Kafka cluster`. */
  noun: string;
  id: string;
  /** The command that lists what may be named instead, e.g. `keyplane iam user list`. */
  listCommand: string;
  /** Where it was looked for, e.g. `in environment "env-…"`. */
  where?: string;
}

/**
 * The answer to a call about one object; a 404 becomes `<noun> "<id>" does not exist, or you may
 * not see it` (the server answers the same for both, so as not to reveal what exists).
 */
export async function aboutOne<T>(target: Target, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ApiError && error.failure.status === 404) {
      const where = target.where ? ` ${target.where}` : '';
      throw new CliError(`${target.noun} "${target.id}" does not exist${where}, or you may not see it`, { suggestion: `see "${target.listCommand}"` });
    }
    throw error;
  }
}

/** `"a"`, `"a" and "b"`, `"a", "b" and "c"`. */
export function quoted(ids: readonly string[]): string {
  const names = ids.map((id) => `"${id}"`);
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** `API key "a"` or `API keys "a" and "b"`. */
export function named(noun: string, ids: readonly string[]): string {
  return `${noun}${ids.length === 1 ? '' : 's'} ${quoted(ids)}`;
}

/** Asks `Are you sure you want to delete <noun> "<id>"?` unless forced; a no cancels the command. */
export async function confirmDelete(io: CliIo, force: boolean | undefined, noun: string, ids: readonly string[], command: string): Promise<void> {
  const what = named(noun, ids);
  const yes = await confirmOrForce(io, force, `Are you sure you want to delete ${what}?`, command);
  if (!yes) throw new CliError(`cancelled; ${what} ${ids.length === 1 ? 'was' : 'were'} not deleted`);
}

/** A change as one sentence for people, and as the object after it for scripts (`-o json|yaml`). */
export function printChanged<T>(io: CliIo, format: OutputFormat, sentence: string, fields: readonly Field<T>[], item: T): void {
  if (format === 'human') io.stdout.write(`${sentence}\n`);
  else printObject(io, format, fields, item);
}

/** The `Examples:` block shown after a command's options. */
export function examples(...lines: string[]): string {
  return ['', 'Examples:', ...lines.map((line) => `  ${line}`)].join('\n');
}

/**
 * Names the flag behind a field the server refused (`spec.region` → `--region`), so that the
 * error speaks of what the user typed; other failures pass unchanged.
 */
export function inFlagTerms(error: unknown, flags: Readonly<Record<string, string>>): unknown {
  if (!(error instanceof ApiError) || error.failure.field === undefined) return error;
  const { field, detail } = error.failure;
  const flag = flags[field];
  if (!flag) return error;
  // Only the server's own spellings of the field (`/spec/region`, `spec.region`), never a plain word like "environment".
  const pointer = `/${field.replaceAll('.', '/')}`;
  const reworded = field.includes('.') ? detail.replaceAll(pointer, flag).replaceAll(field, flag) : detail.replaceAll(pointer, flag);
  return new CliError(reworded.includes(flag) ? reworded : `${flag}: ${detail}`, { suggestion: error.suggestion });
}
