/**
 * Secret scanner figures, printed; asserts nothing. Run: `npm run bench:scan`.
 *
 * Generates a corpus of source-like text (about 200 MB by default; `--mb N`) with a few thousand
 * planted secrets (plain, in JSON, URL-escaped) and many near misses (one character changed,
 * another body's checksum, a wrong prefix, split across lines), then times `keyplane scan` (the
 * CLI as users run it) and ripgrep (Debian package `ripgrep`) with the equivalent regex, in the
 * same run, median of 5 runs each. Reports MB/s, findings, planted secrets missed and near misses
 * reported. For reference, also in this process: scanTree (the CLI's work without its start-up),
 * Node only reading every file (the floor for any Node scanner), and the CLI's start-up alone.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { newSecret, SECRET_ALPHABET, secretChecksum } from '../src/domain/secret.js';
import { scanTree } from '../src/scanner/scan-tree.js';
import { FileLoader, listFiles } from '../src/scanner/walk.js';
import { median } from './lib/wrk.js';

const mbArg = process.argv.indexOf('--mb');
const TARGET_MB = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 200;
const FILE_BYTES = 100_000;
const RUNS = 5;

const root = mkdtempSync(join(tmpdir(), 'keyplane-bench-scan-'));
const planted = new Set<string>();
const nearMisses = new Set<string>();

const words = ['const', 'return', 'function', 'config', 'value', 'import', 'export', 'if', 'else', 'for', 'let', 'await', 'async', 'string', 'number', 'kafka', 'cluster', 'topic', 'consumer'];
function filler(bytes: number): string {
  let out = '';
  while (out.length < bytes) {
    const n = 4 + Math.floor(Math.random() * 10);
    const line = Array.from({ length: n }, () => words[Math.floor(Math.random() * words.length)]).join(' ');
    out += `  ${line}; // ${randomBytes(12).toString('base64')}\n`;
  }
  return out;
}

const swap = (ch: string) => SECRET_ALPHABET[(SECRET_ALPHABET.indexOf(ch) + 1) % 64]!;
function plant(): string {
  const s = newSecret((n) => randomBytes(n));
  planted.add(s);
  switch (Math.floor(Math.random() * 3)) {
    case 0:
      return `API_SECRET=${s}\n`;
    case 1:
      return `${JSON.stringify({ key: 'ABCD1234EFGH5678', secret: s })}\n`;
    default:
      return `curl "https://example.com/?secret=${encodeURIComponent(s)}"\n`;
  }
}
function nearMiss(): string {
  const s = newSecret((n) => randomBytes(n));
  const body = s.slice(4, 58);
  const miss = [
    () => `${s.slice(0, 30)}${swap(s[30]!)}${s.slice(31)}`,
    () => `cflt${body}${secretChecksum(newSecret((n) => randomBytes(n)).slice(4, 58))}`,
    () => `cflx${body}${secretChecksum(body)}`,
    () => `${s.slice(0, 32)}\n${s.slice(32)}`,
  ][Math.floor(Math.random() * 4)]!();
  nearMisses.add(miss);
  return `token = "${miss}"\n`;
}

const files = Math.ceil((TARGET_MB * 1_000_000) / FILE_BYTES);
let bytes = 0;
for (let i = 0; i < files; i++) {
  const dir = join(root, `pkg-${i % 50}`, `mod-${i % 7}`);
  mkdirSync(dir, { recursive: true });
  let text = filler(FILE_BYTES / 2);
  if (i % 2 === 0) text += plant();
  for (let k = 0; k < 3; k++) text += nearMiss();
  text += filler(FILE_BYTES / 2);
  writeFileSync(join(dir, `file-${i}.ts`), text);
  bytes += Buffer.byteLength(text);
}
const mb = bytes / 1_000_000;

function time(command: string, args: string[]): { ms: number; stdout: string } {
  const started = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  return { ms: performance.now() - started, stdout: result.stdout };
}

const bin = resolve(import.meta.dirname, '..', 'bin', 'keyplane.js');
const keyplaneRuns: number[] = [];
let found: { secret: string }[] = [];
for (let r = 0; r < RUNS; r++) {
  const run = time(process.execPath, [bin, 'scan', root, '--show-secrets', '-o', 'json']);
  keyplaneRuns.push(run.ms);
  found = JSON.parse(run.stdout) as { secret: string }[];
}
const foundSet = new Set(found.map((f) => f.secret));
const missed = [...planted].filter((s) => !foundSet.has(s)).length;
const falsePositives = found.filter((f) => !planted.has(f.secret)).length;

const startupRuns: number[] = [];
for (let r = 0; r < RUNS; r++) startupRuns.push(time(process.execPath, [bin, '--version']).ms);

/** scanTree in this process: the CLI's work without its start-up. */
async function timeScanTree(workers: number): Promise<{ runs: number[]; findings: number }> {
  const runs: number[] = [];
  let findings = 0;
  for (let r = 0; r < RUNS; r++) {
    const started = performance.now();
    const result = await scanTree(root, { maxFileBytes: 10_000_000, showSecrets: true, legacy: false, workers });
    runs.push(performance.now() - started);
    findings = result.findings.length;
  }
  return { runs, findings };
}
const { runs: inProcessRuns, findings: inProcessFindings } = await timeScanTree(1);
const { runs: threadedRuns, findings: threadedFindings } = await timeScanTree(2);

const readRuns: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const started = performance.now();
  const loader = new FileLoader(10_000_000);
  for (const path of listFiles(root)) loader.load(path);
  readRuns.push(performance.now() - started);
}
const mbps = (runs: number[]) => (mb / (median(runs) / 1000)).toFixed(0).padStart(5);

const lines = [
  `node ${process.version}; corpus ${mb.toFixed(0)} MB in ${files} files, ${planted.size} planted secrets, ${nearMisses.size} near misses; median of ${RUNS} runs`,
  `keyplane scan   ${median(keyplaneRuns).toFixed(0).padStart(6)} ms  ${mbps(keyplaneRuns)} MB/s  findings ${found.length}, planted missed ${missed}, near misses reported ${falsePositives}`,
  `  of which start-up ${median(startupRuns).toFixed(0).padStart(4)} ms  (keyplane --version)`,
  `scanTree        ${median(inProcessRuns).toFixed(0).padStart(6)} ms  ${mbps(inProcessRuns)} MB/s  findings ${inProcessFindings} (in this process: the CLI's work without its start-up)`,
  `  with a worker  ${median(threadedRuns).toFixed(0).padStart(6)} ms  ${mbps(threadedRuns)} MB/s  findings ${threadedFindings} (workers: 2; the default is 1 without --legacy)`,
  `read every file ${median(readRuns).toFixed(0).padStart(6)} ms  ${mbps(readRuns)} MB/s  (in this process, no matching: the floor for a Node scanner)`,
];
const rg = spawnSync('rg', ['--version'], { encoding: 'utf8' });
if (rg.status === 0) {
  const rgRuns: number[] = [];
  let rgFound = 0;
  for (let r = 0; r < RUNS; r++) {
    const run = time('rg', ['--no-ignore', '--hidden', '-o', '-N', '--no-filename', 'cflt[A-Za-z0-9+/]{60}', root]);
    rgRuns.push(run.ms);
    rgFound = run.stdout.split('\n').filter(Boolean).length;
  }
  const ratio = median(rgRuns) / median(keyplaneRuns);
  lines.push(
    `ripgrep         ${median(rgRuns).toFixed(0).padStart(6)} ms  ${mbps(rgRuns)} MB/s  findings ${rgFound} (the regex cannot check the checksum, nor see URL-escaped secrets)`,
    `throughput keyplane/ripgrep ${ratio.toFixed(2)} (goal ≥ 0.5); scanTree/ripgrep ${(median(rgRuns) / median(inProcessRuns)).toFixed(2)}; read every file/ripgrep ${(median(rgRuns) / median(readRuns)).toFixed(2)}`,
  );
} else {
  lines.push('ripgrep: not installed (apt-get install ripgrep); not measured');
}
rmSync(root, { recursive: true, force: true });
process.stdout.write(`${lines.join('\n')}\n`);
