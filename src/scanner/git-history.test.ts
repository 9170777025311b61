import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSecret } from '../domain/secret.js';
import { DiffParser, GitHistoryError, scanGitHistory } from './git-history.js';

const secret = () => newSecret((n) => randomBytes(n));
const root = mkdtempSync(join(tmpdir(), 'keyplane-git-history-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** git with a fixed identity and no user or system configuration, so the machine's settings change nothing. */
function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: root,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Dev',
      GIT_AUTHOR_EMAIL: 'dev@example.com',
      GIT_COMMITTER_NAME: 'Dev',
      GIT_COMMITTER_EMAIL: 'dev@example.com',
    },
  }).trim();
}

function commit(repo: string, files: Record<string, string | Buffer | null>, message: string): string {
  for (const [path, content] of Object.entries(files)) {
    if (content === null) {
      git(repo, 'rm', '-q', path);
      continue;
    }
    mkdirSync(join(repo, path, '..'), { recursive: true });
    writeFileSync(join(repo, path), content);
    git(repo, 'add', path);
  }
  git(repo, 'commit', '-q', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

describe('scanGitHistory', () => {
  const repo = join(root, 'repo');
  const [deleted, moved, onBranch, inBinary, quotedName] = [secret(), secret(), secret(), secret(), secret()];
  const commits: Record<string, string> = {};

  beforeAll(() => {
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    commits.first = commit(repo, { 'README.md': 'hello\n', 'app/config.yaml': 'name: app\nport: 8080\n' }, 'first');
    commits.added = commit(repo, { 'app/config.yaml': `name: app\nkey: ABCD1234EFGH5678\nsecret: ${deleted}\nport: 8080\n` }, 'add a secret');
    commits.removed = commit(repo, { 'app/config.yaml': 'name: app\nport: 8080\n' }, 'remove it again');
    commits.binary = commit(repo, { 'logo.bin': Buffer.concat([Buffer.from([0, 1, 2, 3]), Buffer.from(inBinary)]) }, 'a binary file');
    commits.spaced = commit(repo, { 'odd dir/naïve "name".txt': `x\n${quotedName}\n` }, 'an unusual name');
    commits.moved = commit(repo, { 'notes.txt': `${'line\n'.repeat(40)}token=${moved}\n` }, 'long file');
    git(repo, 'checkout', '-q', '-b', 'feature');
    commits.branch = commit(repo, { 'feature.env': `A=1\nB=2\nSECRET=${onBranch}\n` }, 'on a branch only');
    git(repo, 'checkout', '-q', 'main');
  });

  it('finds the secret a later commit deleted, with the commit that added it, its path and its line there', async () => {
    const result = await scanGitHistory(repo);
    const found = result.findings.find((f) => f.masked === `${deleted.slice(0, 8)}…`);
    expect(found).toMatchObject({ commit: commits.added, file: 'app/config.yaml', line: 3, column: 9, confidence: 'high', keyId: 'ABCD1234EFGH5678' });
    expect(found).not.toHaveProperty('secret');
  });

  it('reads every ref, numbers lines as in the file at that commit, and decodes quoted paths', async () => {
    const result = await scanGitHistory(repo, { showSecrets: true });
    const bySecret = new Map(result.findings.map((f) => [f.secret, f]));
    expect(bySecret.get(onBranch)).toMatchObject({ commit: commits.branch, file: 'feature.env', line: 3, column: 8 });
    expect(bySecret.get(moved)).toMatchObject({ commit: commits.moved, file: 'notes.txt', line: 41, column: 7 });
    expect(bySecret.get(quotedName)).toMatchObject({ commit: commits.spaced, file: 'odd dir/naïve "name".txt', line: 2 });
    expect(result.findings).toHaveLength(4);
    expect(result.commits).toBe(7);
  });

  it('skips binary diffs, naming them', async () => {
    const result = await scanGitHistory(repo, { showSecrets: true });
    expect(result.findings.map((f) => f.secret)).not.toContain(inBinary);
    expect(result.binary).toEqual([{ commit: commits.binary, path: 'logo.bin' }]);
  });

  it('refuses a directory that is not a repository', async () => {
    const plain = join(root, 'plain');
    mkdirSync(plain);
    await expect(scanGitHistory(plain)).rejects.toThrow(GitHistoryError);
    await expect(scanGitHistory(plain)).rejects.toThrow(`${plain} is not a git repository`);
  });
});

describe('scanGitHistory: merges, stashes and hunks', () => {
  it('finds a line only a merge commit added, and reports a secret merged in from a branch once, with the commit that added it', async () => {
    const repo = join(root, 'merges');
    const [onBranch, inMerge] = [secret(), secret()];
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    commit(repo, { 'README.md': 'hello\n' }, 'first');
    git(repo, 'checkout', '-q', '-b', 'br');
    const branchCommit = commit(repo, { 'br.env': `TOKEN=${onBranch}\n` }, 'on the branch');
    git(repo, 'checkout', '-q', 'main');
    commit(repo, { 'main.txt': 'main moves on\n' }, 'on main');
    git(repo, 'merge', '-q', '--no-commit', '--no-ff', 'br');
    const merge = commit(repo, { 'merge-only.env': `x\nSECRET=${inMerge}\n` }, 'merge br');
    expect(git(repo, 'rev-list', '--parents', '-n', '1', merge).split(' ')).toHaveLength(3);

    const result = await scanGitHistory(repo, { showSecrets: true });
    expect(result.findings.map(({ secret, commit, file, line }) => ({ secret, commit, file, line }))).toEqual([
      { secret: onBranch, commit: branchCommit, file: 'br.env', line: 1 },
      { secret: inMerge, commit: merge, file: 'merge-only.env', line: 2 },
    ]);
    expect(result.commits).toBe(4);
  });

  it('finds secrets in every stash entry: unstaged, staged and untracked changes', async () => {
    const repo = join(root, 'stashes');
    const [older, unstaged, staged, untracked] = [secret(), secret(), secret(), secret()];
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    commit(repo, { 'app.env': 'A=1\n', 'other.env': 'B=2\n' }, 'first');
    writeFileSync(join(repo, 'app.env'), `A=1\nOLD=${older}\n`);
    git(repo, 'stash', '-q');
    writeFileSync(join(repo, 'app.env'), `A=1\nKEY=${unstaged}\n`);
    writeFileSync(join(repo, 'other.env'), `B=2\nKEY=${staged}\n`);
    git(repo, 'add', 'other.env');
    writeFileSync(join(repo, 'new.env'), `KEY=${untracked}\n`);
    git(repo, 'stash', '-q', '--include-untracked');
    expect(git(repo, 'stash', 'list').split('\n')).toHaveLength(2);

    const result = await scanGitHistory(repo, { showSecrets: true });
    const found = new Map(result.findings.map((f) => [f.secret, f]));
    expect([...found.keys()].sort()).toEqual([older, unstaged, staged, untracked].sort());
    expect(found.get(older)).toMatchObject({ file: 'app.env', line: 2, commit: git(repo, 'rev-parse', 'stash@{1}') });
    expect(found.get(unstaged)).toMatchObject({ file: 'app.env', line: 2, commit: git(repo, 'rev-parse', 'stash@{0}') });
    expect(found.get(staged)).toMatchObject({ file: 'other.env', line: 2, commit: git(repo, 'rev-parse', 'stash@{0}^2') });
    expect(found.get(untracked)).toMatchObject({ file: 'new.env', line: 1, commit: git(repo, 'rev-parse', 'stash@{0}^3') });
    expect(result.findings).toHaveLength(4);
  });

  it('scans each hunk on its own: a key id in one hunk neither accepts nor labels a secret in another', async () => {
    const repo = join(root, 'hunks');
    const legacy = () => randomBytes(48).toString('base64');
    const [far, near] = [legacy(), legacy()];
    const checksummed = secret();
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i + 1}`);
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    commit(repo, { 'data.txt': `${lines.join('\n')}\n` }, 'first');
    lines[4] = 'id: ABCD1234EFGH5678';
    lines[29] = `hash: ${far}`;
    lines[30] = `token: ${checksummed}`;
    lines[49] = 'id: WXYZ9876ABCD5432';
    lines[50] = `hash: ${near}`;
    const changed = commit(repo, { 'data.txt': `${lines.join('\n')}\n` }, 'three hunks');

    const result = await scanGitHistory(repo, { showSecrets: true, legacy: true });
    expect(result.findings).toEqual([
      expect.objectContaining({ secret: checksummed, line: 31, commit: changed, confidence: 'high' }),
      expect.objectContaining({ secret: near, line: 51, commit: changed, confidence: 'low', keyId: 'WXYZ9876ABCD5432' }),
    ]);
    expect(result.findings[0]).not.toHaveProperty('keyId');
    expect(result.lines).toBe(60 + 5);
  });
});

describe('DiffParser', () => {
  it('counts hunk lines, so an added line that looks like a header is still content', () => {
    const hidden = secret();
    const parser = new DiffParser({ showSecrets: true });
    for (const line of [
      '\x1e0123456789abcdef0123456789abcdef01234567',
      '',
      'diff --git a/f.txt b/f.txt',
      '--- a/f.txt',
      '+++ b/f.txt',
      '@@ -0,0 +10,3 @@',
      '+++ b/other.txt',
      '+diff --git a/x b/x',
      `+@@ -1 +1 @@ ${hidden}`,
    ]) {
      parser.line(line);
    }
    const result = parser.finish();
    expect(result.findings).toMatchObject([{ file: 'f.txt', line: 12, column: 13, secret: hidden }]);
    expect(result.lines).toBe(3);
  });

  it('takes a hunk without counts as one line, and one with ,0 as none', () => {
    const [one, other] = [secret(), secret()];
    const parser = new DiffParser({ showSecrets: true });
    for (const line of ['\x1eabc', 'diff --git a/a b/a', '--- a/a', '+++ b/a', '@@ -3 +3 @@', `-${other}`, `+${one}`, '@@ -9,2 +8,0 @@', `-${other}`, `-x`]) {
      parser.line(line);
    }
    expect(parser.finish().findings).toMatchObject([{ secret: one, line: 3 }]);
  });
});
