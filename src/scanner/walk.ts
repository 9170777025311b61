import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';

export interface WalkOptions {
  /** Files larger than this many bytes are skipped. */
  maxFileBytes: number;
}

export type WalkItem =
  | { kind: 'file'; path: string; text: string }
  | { kind: 'skipped'; path: string; reason: 'binary' | 'too_large' | 'unreadable' };

const BINARY_PROBE_BYTES = 8192;

/**
 * The files under `root` (a file or a directory), recursively, in a stable order. Dotfiles are
 * included (`.env`, `.npmrc` hold secrets); `.git` is not; every `.gitignore` on the way is
 * honoured for what lies below it.
 */
export function* walk(root: string, options: WalkOptions): Generator<WalkItem> {
  const stat = statSync(root);
  if (!stat.isDirectory()) {
    yield read(root, stat.size, options);
    return;
  }
  yield* walkDirectory(root, [], options);
}

function read(path: string, size: number, options: WalkOptions): WalkItem {
  if (size > options.maxFileBytes) return { kind: 'skipped', path, reason: 'too_large' };
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch {
    return { kind: 'skipped', path, reason: 'unreadable' };
  }
  // Binary files have a NUL byte early on; text files practically never do.
  if (buffer.subarray(0, BINARY_PROBE_BYTES).includes(0)) return { kind: 'skipped', path, reason: 'binary' };
  return { kind: 'file', path, text: buffer.toString('utf8') };
}

interface Rules {
  base: string;
  rules: Ignore;
}

function* walkDirectory(directory: string, inherited: readonly Rules[], options: WalkOptions): Generator<WalkItem> {
  let rules = inherited;
  try {
    const text = readFileSync(join(directory, '.gitignore'), 'utf8');
    rules = [...inherited, { base: directory, rules: ignore().add(text) }];
  } catch {
    // No .gitignore here.
  }
  const ignored = (path: string, isDirectory: boolean) =>
    rules.some(({ base, rules: r }) => {
      const rel = relative(base, path).split(sep).join('/');
      return rel !== '' && r.ignores(isDirectory ? `${rel}/` : rel);
    });
  const entries = readdirSync(directory, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === '.git' || ignored(path, true)) continue;
      yield* walkDirectory(path, rules, options);
    } else if (entry.isFile() && !ignored(path, false)) {
      yield read(path, statSync(path).size, options);
    }
  }
}
