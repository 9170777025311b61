import { createRequire } from 'node:module';
import { Option } from 'commander';
import { escapeHostile } from '../domain/text.js';
import type { CliIo } from './io.js';

export const OUTPUT_FORMATS = ['human', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type Value = string | number | boolean | null | undefined;

/** One column of a list and one row of a description: its header, its JSON name, its value. */
export interface Field<T> {
  header: string;
  key: string;
  value: (item: T) => Value;
  /** Shown to people in place of a null value (JSON and YAML keep the null). */
  empty?: string;
}

export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('human');
}

/** Control characters would let a hostile value rewrite the terminal; they are shown escaped. */
function cell(value: Value, inList: boolean, empty = ''): string {
  if (value === null || value === undefined) return empty;
  if (typeof value === 'boolean') return inList ? (value ? '*' : '') : String(value);
  return escapeHostile(String(value));
}

function record<T>(fields: readonly Field<T>[], item: T): Record<string, Value> {
  return Object.fromEntries(fields.map((f) => [f.key, f.value(item) ?? null]));
}

/** Confluent's list layout: centred headers, cells separated by `|`, a dashed rule under the headers. */
export function listTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const centre = (text: string, width: number) => {
    const left = Math.floor((width - text.length) / 2);
    return ' '.repeat(left) + text + ' '.repeat(width - text.length - left);
  };
  const line = (cells: readonly string[]) => `  ${cells.join(' | ')}`.trimEnd();
  return [
    line(headers.map((h, i) => centre(h, widths[i]!))),
    widths.map((w, i) => '-'.repeat(w + (i === 0 ? 3 : 2))).join('+'),
    ...rows.map((r) => line(r.map((c, i) => c.padEnd(widths[i]!)))),
    '',
  ].join('\n');
}

/** Confluent's description layout: a boxed two-column table of field and value. */
export function boxTable(rows: readonly (readonly [string, string])[]): string {
  const left = Math.max(...rows.map(([label]) => label.length));
  const right = Math.max(...rows.map(([, value]) => value.length));
  const rule = `+-${'-'.repeat(left)}-+-${'-'.repeat(right)}-+`;
  return [rule, ...rows.map(([label, value]) => `| ${label.padEnd(left)} | ${value.padEnd(right)} |`), rule, ''].join('\n');
}

/**
 * The YAML library, loaded on first use: most commands never print YAML, and loading it costs
 * every start of the CLI tens of milliseconds. Printing stays synchronous: the package's Node
 * entry point is CommonJS, so `require` loads it in place.
 */
let yaml: typeof import('yaml') | undefined;

function serialise(format: 'json' | 'yaml', data: unknown): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  yaml ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.stringify(data);
}

export function printList<T>(io: CliIo, format: OutputFormat, fields: readonly Field<T>[], items: readonly T[]): void {
  if (format !== 'human') {
    io.stdout.write(serialise(format, items.map((item) => record(fields, item))));
    return;
  }
  io.stdout.write(listTable(fields.map((f) => f.header), items.map((item) => fields.map((f) => cell(f.value(item), true, f.empty)))));
}

export function printObject<T>(io: CliIo, format: OutputFormat, fields: readonly Field<T>[], item: T): void {
  if (format !== 'human') {
    io.stdout.write(serialise(format, record(fields, item)));
    return;
  }
  io.stdout.write(boxTable(fields.map((f) => [f.header, cell(f.value(item), false, f.empty)] as const)));
}

/**
 * What a command that changes something says it did: the sentence for people, an object for
 * scripts (`-o json|yaml`), so that scripts never parse prose.
 */
export function printData(io: CliIo, format: 'json' | 'yaml', data: unknown): void {
  io.stdout.write(serialise(format, data));
}

export function printDone(io: CliIo, format: OutputFormat, sentence: string, data: Record<string, Value | readonly string[]>): void {
  io.stdout.write(format === 'human' ? `${sentence}\n` : serialise(format, data));
}
