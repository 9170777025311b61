import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';

export type SkipReason = 'binary' | 'too_large' | 'unreadable';

export type LoadedFile = { kind: 'file'; bytes: Buffer } | { kind: 'skipped'; reason: SkipReason };

const BINARY_PROBE_BYTES = 8192;

/**
 * The files under `root` (a file or a directory), recursively, in a stable order. Dotfiles are
 * included (`.env`, `.npmrc` hold secrets); `.git` is not; every `.gitignore` on the way is
 * honoured for what lies below it. Throws the fs error (code ENOENT) when root does not exist.
 */
export function* listFiles(root: string): Generator<string> {
  if (!statSync(root).isDirectory()) {
    yield root;
    return;
  }
  yield* listDirectory(root, []);
}

/**
 * Reads files into one reused buffer: the bytes a `load` returns are valid until the next one.
 * A buffer per file (readFileSync) doubled the time spent reading 2,000 files of 100 kB (61–97 ms
 * against 33–41 ms).
 */
export class FileLoader {
  private scratch = Buffer.allocUnsafe(1 << 20);
  private readonly maxFileBytes: number;

  constructor(maxFileBytes: number) {
    this.maxFileBytes = maxFileBytes;
  }

  load(path: string): LoadedFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return { kind: 'skipped', reason: 'unreadable' };
    }
    try {
      const size = fstatSync(fd).size;
      if (size > this.maxFileBytes) return { kind: 'skipped', reason: 'too_large' };
      if (size > this.scratch.length) this.scratch = Buffer.allocUnsafe(size);
      let length = 0;
      while (length < size) {
        const n = readSync(fd, this.scratch, length, size - length, length);
        if (n === 0) break;
        length += n;
      }
      const bytes = this.scratch.subarray(0, length);
      // Binary files have a NUL byte early on; text files practically never do.
      if (bytes.subarray(0, BINARY_PROBE_BYTES).includes(0)) return { kind: 'skipped', reason: 'binary' };
      return { kind: 'file', bytes };
    } catch {
      return { kind: 'skipped', reason: 'unreadable' };
    } finally {
      closeSync(fd);
    }
  }
}

interface Rules {
  base: string;
  rules: Ignore;
}

function* listDirectory(directory: string, inherited: readonly Rules[]): Generator<string> {
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
      yield* listDirectory(path, rules);
    } else if (entry.isFile() && !ignored(path, false)) {
      yield path;
    }
  }
}
