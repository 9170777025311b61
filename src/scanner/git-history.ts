import { execFile, spawn } from 'node:child_process';
import { type FindOptions, findSecrets, type SecretFinding } from './find-secrets.js';

/**
 * Secrets in a git repository's history: every line any commit on any ref, or any stash entry,
 * added, scanned with `findSecrets` one hunk at a time. A secret deleted since is still found,
 * with the commit that added it. A merge commit (a stash entry is one too) is read as its diff
 * against its first parent, so lines only it added are seen; the lines it brings in from the
 * other parents were added by commits read before it (parents come first), and a secret is
 * reported once per path: in the first commit that added it there. Binary diffs have no lines
 * to scan.
 */

export type GitFinding = SecretFinding & {
  /** The commit that added the line. */
  commit: string;
  /** The file's path in the repository at that commit. */
  file: string;
};

export interface GitScanResult {
  findings: GitFinding[];
  /** Commits read, merges and stash entries included. */
  commits: number;
  /** Added lines scanned. */
  lines: number;
  /** Diffs without lines to read: `{ commit, path }` of each binary file. */
  binary: { commit: string; path: string }[];
}

/** The repository could not be read: not a repository, no git, a failing git. */
export class GitHistoryError extends Error {
  override name = 'GitHistoryError';
}

/** Starts each commit's header line; a byte no diff line can begin with (they begin with `+`, `-`, ` `, `\`, `@` or a header word). */
const COMMIT_MARK = '\x1e';
const HUNK_RE = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const STDERR_LIMIT = 4096;

/**
 * The arguments of the git command that reads the history: every added line, no colour, no
 * pager, no external diff or text conversion. Parents come before their children
 * (`--topo-order --reverse`), so the first commit to show a line is one that added it, not a
 * merge that brought it in. Revisions beyond `--all` (older stash entries) are read from stdin.
 */
export function gitLogArguments(repo: string): string[] {
  return [
    '-C',
    repo,
    '-c',
    'core.quotepath=off',
    'log',
    '--all',
    '--stdin',
    '--topo-order',
    '--reverse',
    '--diff-merges=first-parent',
    '-p',
    '-U0',
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    '--no-show-signature',
    '--src-prefix=a/',
    '--dst-prefix=b/',
    `--format=${COMMIT_MARK}%H`,
  ];
}

/**
 * Scans the history of the repository at `repo`. Git is run directly (no shell) and its output
 * read as it streams, so that memory holds one file's added lines at a time.
 */
export async function scanGitHistory(repo: string, options: FindOptions = {}): Promise<GitScanResult> {
  const env = { ...process.env, GIT_PAGER: 'cat', LC_ALL: 'C' };
  const stashes = await stashEntries(repo, env);
  const child = spawn('git', gitLogArguments(repo), { stdio: ['pipe', 'pipe', 'pipe'], env });
  // An EPIPE when git fails before reading its input is reported through git's exit code below.
  child.stdin.on('error', () => {});
  child.stdin.end(stashes.map((commit) => `${commit}\n`).join(''));
  const parser = new DiffParser(options);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < STDERR_LIMIT) stderr += text;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(new GitHistoryError(error.code === 'ENOENT' ? 'git is not installed (or not on PATH)' : `git could not be run: ${error.message}`)),
    );
    child.on('close', resolve);
  });
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    const data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let end = data.indexOf(0x0a); end !== -1; end = data.indexOf(0x0a, start)) {
      parser.line(data.toString('utf8', start, end));
      start = end + 1;
    }
    rest = Buffer.from(data.subarray(start));
  }
  if (rest.length) parser.line(rest.toString('utf8'));
  const code = await exited;
  if (code !== 0) {
    const why = stderr.trim().split('\n')[0] || `git log exited with ${code}`;
    throw new GitHistoryError(/not a git repository/i.test(why) ? `${repo} is not a git repository` : why.replace(/^fatal: /, ''));
  }
  return parser.finish();
}

/**
 * Every stash entry's commit. `--all` reaches only the newest (`refs/stash`); the older ones
 * live in that ref's reflog. None when there is no stash, or when git fails (the `git log` that
 * follows then says why).
 */
function stashEntries(repo: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  return new Promise((resolve) => {
    execFile('git', ['-C', repo, 'stash', 'list', '--format=%H'], { env, maxBuffer: 64 << 20 }, (error, stdout) =>
      resolve(error ? [] : stdout.split('\n').filter((line) => /^[0-9a-f]{40,64}$/.test(line))),
    );
  });
}

/**
 * `git log -p -U0` output, a line at a time. Hunk headers give how many lines follow, so a line
 * is known to be diff content (never mistaken for a header) by counting, whatever it holds.
 */
export class DiffParser {
  private readonly result: GitScanResult = { findings: [], commits: 0, lines: 0, binary: [] };
  private commit = '';
  private path: string | undefined;
  /** Lines of the current hunk still to come. */
  private removed = 0;
  private added = 0;
  private nextLine = 0;
  /** The current hunk's added lines, and the line number of each in the file at that commit. */
  private text: string[] = [];
  private lineNumbers: number[] = [];
  /** The commit each secret was first found in, per path (`secret NUL path`). */
  private readonly firstCommit = new Map<string, string>();

  constructor(private readonly options: FindOptions) {}

  line(line: string): void {
    if (this.removed > 0 || this.added > 0) {
      if (line.startsWith('+') && this.added > 0) {
        this.added--;
        this.text.push(line.slice(1));
        this.lineNumbers.push(this.nextLine++);
        return;
      }
      if (line.startsWith('-') && this.removed > 0) {
        this.removed--;
        return;
      }
      // "\ No newline at end of file" may stand between a hunk's removed and added lines.
      if (line.startsWith('\\')) return;
      this.removed = 0;
      this.added = 0;
    }
    if (line.startsWith(COMMIT_MARK)) {
      this.flush();
      this.commit = line.slice(COMMIT_MARK.length).trim();
      this.path = undefined;
      this.result.commits++;
      return;
    }
    if (line.startsWith('diff --git ')) {
      this.flush();
      this.path = undefined;
      return;
    }
    if (line.startsWith('+++ ')) {
      this.path = pathOf(line.slice(4));
      return;
    }
    if (line.startsWith('Binary files ') && line.endsWith(' differ')) {
      const named = / and (.*) differ$/.exec(line)?.[1];
      this.result.binary.push({ commit: this.commit, path: (named && pathOf(named)) ?? '' });
      return;
    }
    const hunk = HUNK_RE.exec(line);
    if (hunk) {
      this.flush();
      this.removed = hunk[1] === undefined ? 1 : Number(hunk[1]);
      this.nextLine = Number(hunk[2]);
      this.added = hunk[3] === undefined ? 1 : Number(hunk[3]);
    }
  }

  finish(): GitScanResult {
    this.flush();
    return this.result;
  }

  /**
   * Scans the current hunk's added lines as one text (never joined to another hunk's: a legacy
   * secret must not be accepted, nor given a key id, because of lines that do not stand next to
   * it), then maps each finding back to its line in the file. A secret already found at this
   * path in an earlier commit is not reported again (a merge's first-parent diff repeats what
   * its other parents added).
   */
  private flush(): void {
    if (this.text.length === 0) return;
    this.result.lines += this.text.length;
    if (this.path !== undefined) {
      for (const { secret, ...finding } of findSecrets(this.text.join('\n'), { ...this.options, showSecrets: true })) {
        const key = `${secret}\0${this.path}`;
        const first = this.firstCommit.get(key);
        if (first !== undefined && first !== this.commit) continue;
        this.firstCommit.set(key, this.commit);
        this.result.findings.push({
          ...finding,
          ...(this.options.showSecrets ? { secret } : {}),
          line: this.lineNumbers[finding.line - 1]!,
          commit: this.commit,
          file: this.path,
        });
      }
    }
    this.text = [];
    this.lineNumbers = [];
  }
}

/**
 * The path in a `+++ b/path` line (or `/dev/null`, which has none). Git quotes unusual names
 * C-style, and ends a name holding a space with a tab.
 */
function pathOf(header: string): string | undefined {
  const name = header.endsWith('\t') ? header.slice(0, -1) : header;
  const unquoted = name.startsWith('"') && name.endsWith('"') ? unquote(name.slice(1, -1)) : name;
  if (unquoted === '/dev/null') return undefined;
  return unquoted.startsWith('b/') ? unquoted.slice(2) : unquoted;
}

const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** Undoes git's C-style quoting: `\t`, `\"`, `\\` and octal bytes (`\303\251`) that spell UTF-8. */
function unquote(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== '\\') {
      bytes.push(...Buffer.from(ch, 'utf8'));
      continue;
    }
    const next = text[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
