import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliSuite } from '../../../test/support/cli.js';
import { isChecksummedSecret, newSecret, SECRET_ALPHABET } from '../../domain/secret.js';
import { findSecrets } from '../../scanner/find-secrets.js';
import { fingerprint } from '../../scanner/baseline.js';
import type { CliIo } from '../io.js';
import { run } from '../main.js';

const root = mkdtempSync(join(tmpdir(), 'keyplane-scan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const secret = () => newSecret((n) => randomBytes(n));

function io(stdin?: string) {
  const out = { stdout: '', stderr: '' };
  const cli: CliIo = {
    stdout: { write: (t: string) => (out.stdout += t) },
    stderr: { write: (t: string) => (out.stderr += t) },
    env: {},
    ...(stdin === undefined ? {} : { readStdin: async () => stdin }),
  };
  return { cli, out };
}

describe('keyplane scan', () => {
  const tree = join(root, 'tree');
  const [plain, dotfile, ignored, binary, large, encoded] = [secret(), secret(), secret(), secret(), secret(), secret()];
  mkdirSync(join(tree, 'nested', 'deeper'), { recursive: true });
  mkdirSync(join(tree, 'build'));
  mkdirSync(join(tree, '.git'));
  writeFileSync(join(tree, '.gitignore'), 'build/\n*.log\n');
  writeFileSync(join(tree, 'config.yaml'), `kafka:\n  key: ABCD1234EFGH5678\n  secret: ${plain}\n`);
  writeFileSync(join(tree, '.env'), `KEYPLANE_API_SECRET=${dotfile}\n`);
  writeFileSync(join(tree, 'build', 'out.js'), `const s = "${ignored}";\n`);
  writeFileSync(join(tree, 'debug.log'), `${ignored}\n`);
  writeFileSync(join(tree, '.git', 'config'), `${ignored}\n`);
  writeFileSync(join(tree, 'image.bin'), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(binary)]));
  writeFileSync(join(tree, 'big.txt'), `${'x'.repeat(2000)}\n${large}\n`);
  writeFileSync(join(tree, 'nested', 'deeper', 'call.sh'), `curl "https://h/?s=${encodeURIComponent(encoded)}"\n`);

  it('finds secrets in files and dotfiles, leaves out .git, ignored, binary and oversized files, and exits 1', async () => {
    const { cli, out } = io();
    expect(await run(['scan', tree, '--max-file-size', '1000', '-o', 'json'], cli)).toBe(1);
    const found = JSON.parse(out.stdout) as { file: string; line: number; column: number; secret: string; key_id: string | null }[];
    expect(found.map((f) => f.file.slice(tree.length + 1)).sort()).toEqual(['.env', 'config.yaml', 'nested/deeper/call.sh']);
    const yaml = found.find((f) => f.file.endsWith('config.yaml'))!;
    expect(yaml).toMatchObject({ line: 3, column: 11, secret: `${plain.slice(0, 8)}…`, key_id: 'ABCD1234EFGH5678' });
    expect(out.stdout).not.toContain(plain);
    expect(out.stderr).toBe('Scanned 4 files (skipped 2: 1 too large, 1 binary); found 3 secrets.\n');
  });

  it('shows the secrets in full only when asked, in a table for people', async () => {
    const { cli, out } = io();
    expect(await run(['scan', join(tree, 'config.yaml'), '--show-secrets'], cli)).toBe(1);
    expect(out.stdout).toContain(plain);
    expect(out.stdout.split('\n')[0]).toMatch(/File +\| +Line +\| +Column +\| +Secret +\| +Confidence +\| +Encoding +\| +Key/);
  });

  it('reads standard input with -, and exits 0 with nothing found', async () => {
    const piped = io(`+ export SECRET=${plain}\n`);
    expect(await run(['scan', '-', '-o', 'json'], piped.cli)).toBe(1);
    expect(JSON.parse(piped.out.stdout)).toMatchObject([{ file: '(stdin)', line: 1, column: 17 }]);
    const clean = io('nothing here\n');
    expect(await run(['scan', '-'], clean.cli)).toBe(0);
    expect(clean.out).toEqual({ stdout: '', stderr: 'Scanned 1 file; found 0 secrets.\n' });
  });

  it('answers a path that does not exist, and a bad size, with a usage error', async () => {
    const missing = io();
    expect(await run(['scan', join(root, 'nope')], missing.cli)).toBe(2);
    expect(missing.out.stderr).toBe(`keyplane: error: ${join(root, 'nope')} does not exist\n`);
    const size = io();
    expect(await run(['scan', tree, '--max-file-size', 'lots'], size.cli)).toBe(2);
  });
});

describe('keyplane scan --git', () => {
  const repo = join(root, 'repo');
  const deleted = secret();
  let added = '';

  beforeAll(() => {
    mkdirSync(repo);
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: root, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'd@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'd@example.com' },
      }).trim();
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'app.env'), `PORT=1\nSECRET=${deleted}\n`);
    git('add', 'app.env');
    git('commit', '-q', '-m', 'oops');
    added = git('rev-parse', 'HEAD');
    writeFileSync(join(repo, 'app.env'), 'PORT=1\n');
    git('commit', '-q', '-am', 'remove the secret');
  });

  it('finds a secret that was committed and deleted again, with its commit, and exits 1', async () => {
    const { cli, out } = io();
    expect(await run(['scan', '--git', repo, '-o', 'json'], cli)).toBe(1);
    expect(JSON.parse(out.stdout)).toEqual([
      { file: 'app.env', commit: added, line: 2, column: 8, secret: `${deleted.slice(0, 8)}…`, confidence: 'high', encoding: 'plain', key_id: null },
    ]);
    expect(out.stderr).toBe('Scanned 2 added lines in 2 commits; found 1 secret.\n');
    const table = io();
    expect(await run(['scan', '--git', repo], table.cli)).toBe(1);
    expect(table.out.stdout.split('\n')[0]).toMatch(/File +\| +Commit +\| +Line/);
  });

  it('refuses paths beside --git, and a directory that is not a repository', async () => {
    const both = io();
    expect(await run(['scan', '--git', repo, 'src'], both.cli)).toBe(2);
    const plain = io();
    expect(await run(['scan', `--git=${join(root, 'tree')}`], plain.cli)).toBe(2);
    expect(plain.out.stderr).toBe(`keyplane: error: ${join(root, 'tree')} is not a git repository\n`);
  });
});

describe('keyplane scan -o sarif', () => {
  it('prints a SARIF log with the secret masked and fingerprinted', async () => {
    const dir = join(root, 'sarif');
    const found = secret();
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.txt'), `token: ${found}\n`);
    const { cli, out } = io();
    expect(await run(['scan', join(dir, 'a.txt'), '-o', 'sarif'], cli)).toBe(1);
    const log = JSON.parse(out.stdout);
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0].results).toMatchObject([{ ruleId: 'keyplane/checksummed-secret', level: 'error', partialFingerprints: { 'keyplaneSecretSha256/v1': fingerprint(found) } }]);
    expect(out.stdout).not.toContain(found);
    const clean = io();
    expect(await run(['scan', '-', '-o', 'sarif'], io('nothing\n').cli)).toBe(0);
    expect(await run(['scan', join(root, 'tree', 'big.txt'), '-o', 'sarif', '--max-file-size', '10'], clean.cli)).toBe(0);
    expect(JSON.parse(clean.out.stdout).runs[0].results).toEqual([]);
  });
});

describe('keyplane scan --baseline', () => {
  const dir = join(root, 'baselined');
  const file = join(dir, '.keyplane-baseline.json');
  const [known, other] = [secret(), secret()];

  beforeAll(() => {
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', 'test-fixture.ts'), `export const sample = '${known}';\n`);
  });

  it('writes the current findings with --update-baseline, without a secret in the file, and then exits 0', async () => {
    const { cli, out } = io();
    expect(await run(['scan', dir, '--baseline', file, '--update-baseline'], cli)).toBe(0);
    expect(out.stderr).toBe(`Wrote 1 finding to baseline ${file}.\nScanned 1 file; found 1 secret (1 accepted by the baseline, 0 new).\n`);
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text)).toEqual({ version: 1, findings: [{ fingerprint: fingerprint(known), path: 'src/test-fixture.ts' }] });
    expect(text).not.toContain(known.slice(0, 12));
  });

  it('accepts a known secret wherever it moves in its file, and fails only on a new one', async () => {
    writeFileSync(join(dir, 'src', 'test-fixture.ts'), `// moved down\n\nexport const sample = '${known}';\n`);
    const accepted = io();
    expect(await run(['scan', dir, '--baseline', file], accepted.cli)).toBe(0);
    // The baseline file is scanned too, and holds nothing a scan would find.
    expect(accepted.out).toEqual({ stdout: '', stderr: 'Scanned 2 files; found 1 secret (1 accepted by the baseline, 0 new).\n' });

    writeFileSync(join(dir, 'src', 'config.ts'), `export const live = '${other}';\nexport const copy = '${known}';\n`);
    const fresh = io();
    expect(await run(['scan', dir, '--baseline', file, '-o', 'json'], fresh.cli)).toBe(1);
    expect(JSON.parse(fresh.out.stdout).map((f: { line: number; file: string }) => [f.file.slice(dir.length + 1), f.line])).toEqual([
      ['src/config.ts', 1],
      ['src/config.ts', 2],
    ]);
    expect(fresh.out.stderr).toBe('Scanned 3 files; found 3 secrets (1 accepted by the baseline, 2 new).\n');
    rmSync(join(dir, 'src', 'config.ts'));
  });

  it('refuses a missing baseline, a broken one, and --update-baseline without --baseline', async () => {
    const missing = io();
    expect(await run(['scan', dir, '--baseline', join(dir, 'none.json')], missing.cli)).toBe(2);
    expect(missing.out.stderr).toBe(`keyplane: error: baseline ${join(dir, 'none.json')} does not exist; create it with --update-baseline\n`);
    writeFileSync(join(dir, 'broken.json'), '{"version":7,"findings":[]}');
    const broken = io();
    expect(await run(['scan', dir, '--baseline', join(dir, 'broken.json')], broken.cli)).toBe(2);
    expect(broken.out.stderr).toContain('version: must be 1');
    expect(await run(['scan', dir, '--update-baseline'], io().cli)).toBe(2);
    expect(existsSync(join(dir, 'none.json'))).toBe(false);
  });
});

describe('keyplane scan --report and --verify', () => {
  const suite = cliSuite();
  const dir = join(root, 'leaks');
  let live: { id: string; secret: string };
  let owner = '';
  const unknown = secret();

  beforeAll(async () => {
    owner = (await suite.kp.api<{ id: string }>('POST', '/iam/v2/service-accounts', { display_name: 'leaky-app' })).id;
    const made = await suite.kp.api<{ id: string; spec: { secret: string } }>('POST', '/iam/v2/api-keys', { spec: { owner: { id: owner } } });
    live = { id: made.id, secret: made.spec.secret };
    mkdirSync(dir);
    // The live secret twice: sent once, answered for both findings.
    writeFileSync(join(dir, 'app.env'), `SECRET=${live.secret}\nAGAIN=${live.secret}\nOTHER=${unknown}\n`);
  });

  it('--verify marks each finding live (with its key and owner) or not, changing nothing, and keeps secrets masked', async () => {
    const result = await suite.run(['scan', dir, '--verify', '-o', 'json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject([
      { line: 1, status: 'live', key_id: live.id, owner },
      { line: 2, status: 'live', key_id: live.id, owner },
      { line: 3, status: 'not_live', key_id: null, owner: null },
    ]);
    expect(result.stdout).not.toContain(live.secret);
    expect(result.stderr).toBe(`Scanned 1 file; found 3 secrets.\nChecked 2 secrets with ${suite.kp.url}: 1 live, 1 not live.\n`);
    await expect(suite.kp.api('GET', `/iam/v2/api-keys/${live.id}`)).resolves.toMatchObject({ id: live.id });
  });

  it('--verify sends more secrets than one request takes in batches, each distinct secret once', async () => {
    const many = Array.from({ length: 150 }, () => secret());
    const result = await suite.run(['scan', '-', '--verify', '-o', 'json'], { input: [...many, many[0]].map((s) => `k=${s}`).join('\n') });
    expect(result.code).toBe(1);
    const found = JSON.parse(result.stdout) as { status: string }[];
    expect(found).toHaveLength(151);
    expect(new Set(found.map((f) => f.status))).toEqual(new Set(['not_live']));
    expect(result.stderr).toBe(`Scanned 1 file; found 151 secrets.\nChecked 150 secrets with ${suite.kp.url}: 150 not live.\n`);
  });

  it('--verify needs a login', async () => {
    const result = await suite.run(['scan', dir, '--verify'], { env: { HOME: suite.kp.home() } });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain('keyplane: error: not logged in');
  });

  it('--report sends the secrets with no credentials: the live key is revoked, and a later --verify finds nothing live', async () => {
    const home = suite.kp.home();
    const reported = await suite.run(['scan', join(dir, 'app.env'), '--report', '--url', suite.kp.url], { env: { HOME: home } });
    expect(reported.code).toBe(1);
    expect(reported.stdout.split('\n')[0]).toMatch(/File +\| +Line +\| +Column +\| +Secret +\| +Confidence +\| +Encoding +\| +Key +\| +Status/);
    expect(reported.stdout).toContain('revoked');
    expect(reported.stdout).not.toContain(live.secret);
    expect(reported.stderr).toBe(`Scanned 1 file; found 3 secrets.\nReported 2 secrets with ${suite.kp.url}: 1 revoked, 1 not live.\n`);
    await expect(suite.kp.api('GET', `/iam/v2/api-keys/${live.id}`)).rejects.toThrow(/404/);

    const verified = await suite.run(['scan', dir, '--verify', '-o', 'json']);
    expect(JSON.parse(verified.stdout).map((f: { status: string }) => f.status)).toEqual(['not_live', 'not_live', 'not_live']);
  });

  it('--report takes the server from KEYPLANE_URL, and says so when there is none', async () => {
    const viaEnv = await suite.run(['scan', join(dir, 'app.env'), '--report', '-o', 'json'], { env: { HOME: suite.kp.home(), KEYPLANE_URL: suite.kp.url } });
    expect(JSON.parse(viaEnv.stdout).map((f: { status: string }) => f.status)).toEqual(['not_live', 'not_live', 'not_live']);
    const none = await suite.run(['scan', join(dir, 'app.env'), '--report'], { env: { HOME: suite.kp.home() } });
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toBe('keyplane: error: no server to report to; pass --url http://host:port, set KEYPLANE_URL, or log in\n');
  });

  it('--verify sends the saved login only to its own server', async () => {
    const result = await suite.run(['scan', dir, '--verify', '--url', 'http://127.0.0.1:9']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(`keyplane: error: --url names http://127.0.0.1:9, but the saved login is for ${suite.kp.url}; log in to that server first, or set KEYPLANE_API_KEY and KEYPLANE_API_SECRET for it\n`);
  });

  it('refuses --report with --verify, and --url alone', async () => {
    expect((await suite.run(['scan', dir, '--report', '--verify'])).code).toBe(2);
    expect((await suite.run(['scan', dir, '--url', suite.kp.url])).code).toBe(2);
  });
});

describe('the rules for other scanners in docs/scanner.md', () => {
  const docs = readFileSync(new URL('../../../docs/scanner.md', import.meta.url), 'utf8');
  const gitleaks = /^regex = '''(.+)'''$/m.exec(docs)?.[1];
  const secretlint = /"pattern": "\/(.+)\/"/.exec(docs)?.[1];
  const github = /^Secret format: +(\S+)$/m.exec(docs)?.[1];
  const before = /^Before secret: +(\S+)$/m.exec(docs)?.[1];
  const after = /^After secret: +(\S+)$/m.exec(docs)?.[1];
  const testString = /^Test string: +(\S+)$/m.exec(docs)?.[1];
  // RE2 (gitleaks, GitHub) spells the text's ends \A and \z; JavaScript's equivalents here are ^ and $ without the m flag.
  const githubRe = new RegExp(`(?:${before!.replace('\\A', '^')})(${github})(?:${after!.replace('\\z', '$')})`);

  it('has one regex, written the same in every snippet', () => {
    expect(gitleaks).toBe('cflt[A-Za-z0-9+/]{59}[AQgw]');
    expect(secretlint).toBe(gitleaks);
    expect(github).toBe(gitleaks);
  });

  it('matches every generated secret, whole, and the documented example', () => {
    const whole = new RegExp(`^(?:${gitleaks})$`);
    for (let i = 0; i < 500; i++) expect(secret()).toMatch(whole);
    expect(isChecksummedSecret(testString!)).toBe(true);
    expect(testString).toMatch(whole);
  });

  it('finds a secret where the scanner does, with the GitHub boundaries', () => {
    const s = secret();
    for (const text of [`SECRET=${s}\n`, `https://h/api/${s}?x=1`, `"${s}"`, s]) {
      expect(githubRe.exec(text)?.[1]).toBe(s);
      expect(findSecrets(text, { showSecrets: true }).map((f) => f.secret)).toEqual([s]);
    }
  });

  it('cannot check the checksum: a near miss matches the regex, and only keyplane scan tells them apart', () => {
    const s = secret();
    const at = 20;
    const changed = `${s.slice(0, at)}${SECRET_ALPHABET[(SECRET_ALPHABET.indexOf(s[at]!) + 1) % 64]}${s.slice(at + 1)}`;
    expect(changed).toMatch(new RegExp(gitleaks!));
    expect(findSecrets(`token=${changed}\n`)).toEqual([]);
    expect(`cflu${s.slice(4)}`).not.toMatch(new RegExp(gitleaks!));
    expect(s.slice(0, 63)).not.toMatch(new RegExp(gitleaks!));
  });
});
