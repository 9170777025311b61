import { dirname, relative, resolve, sep } from 'node:path';
import { type Command, Option } from 'commander';
import type { Baseline } from '../../scanner/baseline.js';
import type { SecretFinding } from '../../scanner/find-secrets.js';
import { ApiError, failureOf, TIMEOUT_MS } from '../api-client.js';
import { configPath, readConfig } from '../config-file.js';
import { CliError, type CliIo, EXIT_FAILURE, ReportedFailure, UsageError } from '../io.js';
import { type Field, OUTPUT_FORMATS, printData, printList } from '../output.js';
import { normaliseUrl, Session } from '../session.js';
import { version } from '../version.js';
import { examples } from './common.js';

const SCAN_FORMATS = [...OUTPUT_FORMATS, 'sarif'] as const;
type ScanFormat = (typeof SCAN_FORMATS)[number];

interface ScanOptions {
  showSecrets?: boolean;
  legacy?: boolean;
  maxFileSize: string;
  output: ScanFormat;
  git?: string | true;
  baseline?: string;
  updateBaseline?: boolean;
  report?: boolean;
  verify?: boolean;
  url?: string;
}

type LeakStatus = 'malformed' | 'not_live' | 'revoked' | 'reported' | 'live';

interface LiveKey {
  id: string;
  owner: { id: string; kind: string };
}

/** One finding as the command handles it: always with the whole secret, masked only when printed. */
type Found = SecretFinding & {
  file: string;
  secret: string;
  commit?: string;
  status?: LeakStatus;
  liveKey?: LiveKey;
};

/** What `--report` and `--verify` send each secret as; the server takes at most this many per request. */
const LEAK_SOURCE = 'keyplane-scan';
const LEAKS_PER_REQUEST = 100;


function fieldsFor(options: ScanOptions): Field<Found>[] {
  return [
    { header: 'File', key: 'file', value: (f) => f.file },
    ...(options.git ? [{ header: 'Commit', key: 'commit', value: (f: Found) => f.commit }] : []),
    { header: 'Line', key: 'line', value: (f) => f.line },
    { header: 'Column', key: 'column', value: (f) => f.column },
    { header: 'Secret', key: 'secret', value: (f) => (options.showSecrets ? f.secret : f.masked) },
    { header: 'Confidence', key: 'confidence', value: (f) => f.confidence },
    { header: 'Encoding', key: 'encoding', value: (f) => f.encoding },
    // A key the server names for a live secret is certain; one standing nearby is a guess.
    { header: 'Key', key: 'key_id', value: (f) => f.liveKey?.id ?? f.keyId },
    ...(options.report || options.verify ? [{ header: 'Status', key: 'status', value: (f: Found) => f.status }] : []),
    ...(options.verify ? [{ header: 'Owner', key: 'owner', value: (f: Found) => f.liveKey?.owner.id }] : []),
  ];
}

export function registerScanCommands(program: Command, io: CliIo): void {
  program
    .command('scan')
    .summary('find Keyplane API secrets in files, directories, standard input or git history')
    .description(
      [
        'Find Keyplane API secrets: cflt secrets whose checksum validates (high confidence), also written with URL ' +
          "escapes (%2B, %2F), JSON's escaped slash (\\/) or inside base64, and with --legacy, 64-character secrets standing " +
          'next to a key id or a secret-like name (low confidence).',
        'Directories are read recursively, dotfiles included, .git and what .gitignore files exclude left out; binary ' +
          'files and files over --max-file-size are skipped. With --git, every line added by any commit on any ref or stash entry is ' +
          'scanned instead, so deleted secrets are found too.',
        'Secrets are shown masked (first 8 characters) unless --show-secrets. A baseline file accepts known findings. ' +
          '--report sends the secrets found to the server, which revokes live keys (or notifies their owners, as its leak ' +
          'policy says); --verify asks the server, as the logged-in user, which are live, changing nothing.',
        'Exits 1 when it finds a secret the baseline does not accept, 0 otherwise. See docs/scanner.md.',
      ].join('\n\n'),
    )
    .argument('[paths...]', 'files and directories to scan, or - for standard input (default: .)')
    .option('--git [repo]', 'scan every added line in the history (all refs and stash entries) of this git repository (default: .)')
    .option('--show-secrets', 'show the secrets found in full')
    .option('--legacy', 'also report legacy 64-character secrets next to a key id or a secret-like name')
    .option('--max-file-size <bytes>', 'skip files larger than this', '10000000')
    .option('--baseline <file>', 'accept the findings this baseline file lists: they are not reported and do not fail the run')
    .option('--update-baseline', 'write the current findings to the --baseline file (created if missing), accepting them all')
    .option('--report', 'report the secrets found to the server as leaked (no login needed): live keys are revoked or their owners notified')
    .option('--verify', 'ask the server which secrets found are live (needs a login); changes nothing')
    .option('--url <server>', 'the server for --report and --verify (default: KEYPLANE_URL, else the saved login)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(SCAN_FORMATS).default('human'))
    .addHelpText(
      'after',
      examples(
        'keyplane scan',
        'keyplane scan src config/.env',
        'git diff --cached -U0 --no-color | keyplane scan -',
        'keyplane scan --git',
        'keyplane scan --baseline .keyplane-baseline.json --update-baseline',
        'keyplane scan -o sarif > keyplane.sarif',
        'keyplane scan --verify',
      ),
    )
    .action((paths: string[], options: ScanOptions) => scan(io, paths, options));
}

async function scan(io: CliIo, paths: string[], options: ScanOptions): Promise<void> {
  const maxFileBytes = Number(options.maxFileSize);
  if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes < 1) throw new UsageError(`--max-file-size must be a whole number of bytes, not "${options.maxFileSize}"`);
  if (options.git && paths.length) throw new UsageError('--git scans a repository\'s history; give the repository to --git, not paths', 'e.g. "keyplane scan --git ../repo"');
  if (options.updateBaseline && !options.baseline) throw new UsageError('--update-baseline writes the --baseline file, and none is given', 'add --baseline <file>');
  if (options.report && options.verify) throw new UsageError('--report and --verify do not go together', '--verify first, to see which secrets are live; then --report');
  if (options.url && !options.report && !options.verify) throw new UsageError('--url is the server for --report or --verify');
  const baseline = options.baseline && !options.updateBaseline ? await loadBaseline(options.baseline) : undefined;

  const scanned = options.git ? await scanHistory(options.git === true ? '.' : options.git, options) : await scanPaths(io, paths.length ? paths : ['.'], maxFileBytes, options);
  const all = scanned.findings;

  let fresh = all;
  let accepted: Found[] = [];
  if (options.baseline) {
    const { baselineOf, partition } = await import('../../scanner/baseline.js');
    const file = options.baseline;
    const located = all.map((f) => ({ ...f, path: baselinePath(f, file, Boolean(options.git)) }));
    if (options.updateBaseline) {
      const written = baselineOf(located);
      await saveBaseline(file, written);
      io.stderr.write(`Wrote ${plural(written.findings.length, 'finding')} to baseline ${file}.\n`);
      fresh = [];
      accepted = all;
    } else {
      ({ fresh, accepted } = partition(located, baseline!));
    }
  }

  let leakSummary = '';
  if (fresh.length && (options.report || options.verify)) leakSummary = await sendLeaks(io, fresh, options);

  if (options.output === 'sarif') printData(io, 'json', (await import('../../scanner/sarif.js')).toSarif(fresh, { version }));
  else if (options.output !== 'human' || fresh.length) printList(io, options.output, fieldsFor(options), fresh);

  const acceptedNote = options.baseline ? ` (${accepted.length} accepted by the baseline, ${fresh.length} new)` : '';
  io.stderr.write(`${scanned.summary}; found ${plural(all.length, 'secret')}${acceptedNote}.\n${leakSummary}`);
  // Exit code 1 when new secrets were found, so that a pre-commit hook or a CI step fails on it.
  if (fresh.length) throw new ReportedFailure(EXIT_FAILURE);
}

interface Scanned {
  findings: Found[];
  /** What was read, as the summary line opens: `Scanned 4 files (skipped 1: 1 binary)`. */
  summary: string;
}

async function scanPaths(io: CliIo, paths: readonly string[], maxFileBytes: number, options: ScanOptions): Promise<Scanned> {
  const [{ findSecrets }, { scanTree }] = await Promise.all([import('../../scanner/find-secrets.js'), import('../../scanner/scan-tree.js')]);
  const findings: Found[] = [];
  const skipped: { path: string; reason: string }[] = [];
  let files = 0;
  const legacy = Boolean(options.legacy);
  for (const path of paths) {
    if (path === '-') {
      if (!io.readStdin) throw new UsageError('"-" reads standard input, and standard input is a terminal', 'pipe something in');
      files++;
      for (const finding of findSecrets(await io.readStdin(), { showSecrets: true, legacy })) findings.push({ ...finding, secret: finding.secret!, file: '(stdin)' });
      continue;
    }
    try {
      // Secrets are kept whole inside the command (for fingerprints and reports) and masked when printed.
      const result = await scanTree(path, { maxFileBytes, showSecrets: true, legacy });
      files += result.files;
      skipped.push(...result.skipped);
      for (const finding of result.findings) findings.push({ ...finding, secret: finding.secret! });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`${path} does not exist`);
      throw error;
    }
  }
  return { findings, summary: `Scanned ${plural(files, 'file')}${skipped.length ? ` (skipped ${skipped.length}: ${tally(skipped.map((s) => s.reason))})` : ''}` };
}

async function scanHistory(repo: string, options: ScanOptions): Promise<Scanned> {
  const { GitHistoryError, scanGitHistory } = await import('../../scanner/git-history.js');
  try {
    const result = await scanGitHistory(repo, { showSecrets: true, legacy: Boolean(options.legacy) });
    const binary = result.binary.length ? ` (skipped ${plural(result.binary.length, 'binary diff')})` : '';
    return {
      findings: result.findings.map((f) => ({ ...f, secret: f.secret! })),
      summary: `Scanned ${plural(result.lines, 'added line')} in ${plural(result.commits, 'commit')}${binary}`,
    };
  } catch (error) {
    if (error instanceof GitHistoryError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * A finding's path as its baseline entry holds it: for git findings the path in the repository;
 * otherwise relative to the baseline file's directory, with `/`, so that the file works from any
 * working directory and on any machine.
 */
function baselinePath(finding: Found, baselineFile: string, git: boolean): string {
  if (git || finding.file === '(stdin)') return finding.file;
  return relative(dirname(resolve(baselineFile)), resolve(finding.file)).split(sep).join('/');
}

async function loadBaseline(file: string): Promise<Baseline> {
  const { BaselineError, readBaseline } = await import('../../scanner/baseline.js');
  try {
    return readBaseline(file);
  } catch (error) {
    if (error instanceof BaselineError) {
      throw new UsageError(error.message, /does not exist$/.test(error.message) ? 'create it with --update-baseline' : undefined);
    }
    throw error;
  }
}

async function saveBaseline(file: string, baseline: Baseline): Promise<void> {
  const { BaselineError, writeBaseline } = await import('../../scanner/baseline.js');
  try {
    writeBaseline(file, baseline);
  } catch (error) {
    if (error instanceof BaselineError) throw new CliError(error.message);
    throw error;
  }
}

/**
 * `--report` (POST /v1/leaks, no credentials) or `--verify` (POST /v1/leaks/check, as the saved
 * login): each distinct secret is sent once, in batches the server accepts, and every finding of
 * it gets the answer. Returns the summary line.
 */
async function sendLeaks(io: CliIo, findings: Found[], options: ScanOptions): Promise<string> {
  const secrets = [...new Set(findings.map((f) => f.secret))];
  const answers = new Map<string, { status: LeakStatus; key?: LiveKey }>();
  const post = options.verify ? verifier(io, options) : reporter(io, options);
  for (let start = 0; start < secrets.length; start += LEAKS_PER_REQUEST) {
    const batch = secrets.slice(start, start + LEAKS_PER_REQUEST);
    const answer = await post.send(batch.map((secret) => ({ secret, source: LEAK_SOURCE })));
    for (const [i, secret] of batch.entries()) answers.set(secret, answerAt(answer, i, post.url, options.verify ? VERIFY_STATUSES : REPORT_STATUSES));
  }
  for (const finding of findings) {
    const answer = answers.get(finding.secret)!;
    finding.status = answer.status;
    if (answer.key) finding.liveKey = answer.key;
  }
  const statuses = tally([...answers.values()].map((a) => a.status));
  return `${options.verify ? 'Checked' : 'Reported'} ${plural(secrets.length, 'secret')} with ${post.url}: ${statuses}.\n`;
}

const REPORT_STATUSES: readonly LeakStatus[] = ['malformed', 'not_live', 'revoked', 'reported'];
const VERIFY_STATUSES: readonly LeakStatus[] = ['malformed', 'not_live', 'live'];

interface LeakPoster {
  url: string;
  send(items: { secret: string; source: string }[]): Promise<unknown>;
}

/** The answer for the i-th secret sent, checked: an answer that does not fit is the server's fault, said so. */
function answerAt(answer: unknown, i: number, url: string, statuses: readonly LeakStatus[]): { status: LeakStatus; key?: LiveKey } {
  const items = Array.isArray(answer) ? (answer as { index?: unknown; status?: unknown; key?: { id?: unknown; owner?: { id?: unknown; kind?: unknown } } }[]) : [];
  const item = items.find((a) => a?.index === i);
  if (!item || !statuses.includes(item.status as LeakStatus)) throw new CliError(`${url} gave no usable answer for secret ${i + 1} of a batch; is it a Keyplane server?`);
  const key = item.key;
  if (key && typeof key.id === 'string' && typeof key.owner?.id === 'string') {
    return { status: item.status as LeakStatus, key: { id: key.id, owner: { id: key.owner.id, kind: String(key.owner.kind ?? '') } } };
  }
  return { status: item.status as LeakStatus };
}

/** `--verify` speaks as the saved login (or KEYPLANE_API_KEY), whose secret goes only to its own server. */
function verifier(io: CliIo, options: ScanOptions): LeakPoster {
  if (options.url && !io.env.KEYPLANE_API_KEY && !io.env.KEYPLANE_API_SECRET) {
    const saved = savedUrl(io);
    const url = normaliseUrl(options.url);
    if (saved && saved !== url) {
      throw new UsageError(`--url names ${url}, but the saved login is for ${saved}`, 'log in to that server first, or set KEYPLANE_API_KEY and KEYPLANE_API_SECRET for it');
    }
  }
  const session = Session.open(options.url ? { ...io, env: { ...io.env, KEYPLANE_URL: options.url } } : io);
  return { url: session.url, send: (items) => session.client.post('/v1/leaks/check', items) };
}

/** `--report` needs no credentials, and sends none: only a server is needed. */
function reporter(io: CliIo, options: ScanOptions): LeakPoster {
  const url = normaliseUrl(options.url ?? io.env.KEYPLANE_URL ?? savedUrl(io) ?? missingServer());
  return { url, send: (items) => postUnauthenticated(url, '/v1/leaks', items) };
}

function savedUrl(io: CliIo): string | undefined {
  const config = readConfig(configPath(io.env));
  return config.current_context ? config.contexts[config.current_context]?.url : undefined;
}

function missingServer(): never {
  throw new UsageError('no server to report to', 'pass --url http://host:port, set KEYPLANE_URL, or log in');
}

/** A JSON POST with no Authorization header; failures become one clear line, never repeating the body. */
async function postUnauthenticated(url: string, path: string, body: unknown): Promise<unknown> {
  const target = new URL(path.replace(/^\//, ''), `${url}/`);
  let response: Response;
  let text: string;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'keyplane-cli' },
      body: JSON.stringify(body),
      // A redirect would carry the secrets to wherever it points.
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } })?.cause?.code;
    const why = (error as Error)?.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} seconds` : (cause ?? (error as Error)?.message ?? 'unknown error');
    throw new CliError(`cannot reach the Keyplane server at ${url} (${why})`, { suggestion: 'check that it is running and that the URL is right' });
  }
  if (response.status >= 300 && response.status < 400) throw new CliError(`${url} answered with a redirect; give the URL it redirects to with --url`);
  if (!response.ok) throw new ApiError(failureOf(response, text));
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** How many of each, in order of first appearance: `2 not live, 1 revoked`. */
function tally(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${n} ${name.replace('_', ' ')}`).join(', ');
}
