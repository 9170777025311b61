import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { setImmediate } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { isChecksummedSecret, SECRET_ALPHABET, SECRET_LENGTH } from '../domain/secret.js';
import { BASE64_RUN_CAP, BASE64_WINDOW, CANDIDATE_MARKERS, type FindOptions, findSecrets, type SecretFinding } from './find-secrets.js';
import { FileLoader, listFiles } from './walk.js';

export interface TreeScanOptions {
  /** Files larger than this many bytes are skipped. */
  maxFileBytes: number;
  showSecrets: boolean;
  legacy: boolean;
  /**
   * Threads reading and matching files, this one included; 1 scans in this thread only. Default:
   * 1, and with `legacy` the cores available, at most 4. Measured on 200 MB in 2,000 files on two
   * shared cores: a worker takes 0.1–0.2 s to start, as long as this thread needs for the whole
   * tree on the prefiltered path, so a second thread did not pay (0.21–0.25 s alone, 0.24–0.42 s
   * with it); legacy matching decodes every file, and there it did (2.8–3.1 s alone, 1.9–2.0 s
   * with it in most runs).
   */
  workers?: number;
}

export type FileFinding = SecretFinding & { file: string };

export interface TreeScanResult {
  findings: FileFinding[];
  /** Files scanned (skipped ones not counted). */
  files: number;
  skipped: { path: string; reason: string }[];
}

const MARKERS = CANDIDATE_MARKERS.map((marker) => Buffer.from(marker, 'latin1'));
const NEWLINE = 0x0a;
/** Paths handed to a worker at a time: small enough to keep both busy to the end, large enough to make messages rare. */
const BATCH = 16;
const MAX_DEFAULT_THREADS = 4;
/** Below this many files, starting a worker costs more than it saves. */
const MIN_PARALLEL_FILES = 4 * BATCH;

/**
 * Scans a file or a directory tree for secrets. Throws the fs error (code ENOENT) when root does
 * not exist. Findings sorted by file, line, column.
 */
export async function scanTree(root: string, options: TreeScanOptions): Promise<TreeScanResult> {
  const paths = [...listFiles(root)];
  const threads = options.workers ?? (options.legacy ? Math.min(availableParallelism(), MAX_DEFAULT_THREADS) : 1);
  const result = threads > 1 && paths.length > MIN_PARALLEL_FILES ? await scanInParallel(paths, options, threads - 1) : scanFiles(paths, options);
  result.findings.sort(byPosition);
  result.skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return result;
}

/** Scans the given files in this thread, in order. */
export function scanFiles(paths: readonly string[], options: TreeScanOptions): TreeScanResult {
  const loader = new FileLoader(options.maxFileBytes);
  const result: TreeScanResult = { findings: [], files: 0, skipped: [] };
  const find = { showSecrets: options.showSecrets, legacy: options.legacy };
  for (const path of paths) {
    const file = loader.load(path);
    if (file.kind === 'skipped') {
      result.skipped.push({ path, reason: file.reason });
      continue;
    }
    result.files++;
    for (const finding of findSecretsInBytes(file.bytes, find)) result.findings.push({ file: path, ...finding });
  }
  return result;
}

/**
 * `findSecrets` over a file's UTF-8 bytes, with the same findings, without decoding the whole
 * file: only the lines around a candidate marker become text — its own line and the ones next to
 * it, and the lines of a wrapped base64 blob it stands in, which is all `findSecrets` looks at
 * for one secret. Legacy secrets have no marker, so `legacy` decodes everything.
 */
export function findSecretsInBytes(bytes: Buffer, options: FindOptions): SecretFinding[] {
  if (options.legacy) return findSecrets(bytes.toString('utf8'), options);
  const windows: [number, number][] = [];
  for (const [m, marker] of MARKERS.entries()) {
    for (let at = bytes.indexOf(marker); at !== -1; at = bytes.indexOf(marker, at + 1)) {
      if (m === 0 && plainMiss(bytes, at)) continue;
      windows.push(windowAround(bytes, at));
    }
  }
  if (windows.length === 0) return [];
  windows.sort((a, b) => a[0] - b[0]);

  const findings: SecretFinding[] = [];
  let counted = 0;
  let linesBefore = 0;
  for (let w = 0; w < windows.length; ) {
    const start = windows[w]![0];
    let end = windows[w]![1];
    // Merge the windows that overlap, so that each line is decoded once and each finding found once.
    for (w++; w < windows.length && windows[w]![0] <= end; w++) end = Math.max(end, windows[w]![1]);
    const found = findSecrets(bytes.toString('utf8', start, end), options);
    if (found.length === 0) continue;
    for (let at = bytes.indexOf(NEWLINE, counted); at !== -1 && at < start; at = bytes.indexOf(NEWLINE, at + 1)) linesBefore++;
    counted = start;
    for (const finding of found) findings.push({ ...finding, line: finding.line + linesBefore });
  }
  return findings;
}

/**
 * Whether no secret can start at the prefix at `at`: nothing within a secret's reach on its line
 * could be an escape (`%` or `\\`), so only the plain spelling counts, and its checksum fails.
 * Near misses are dropped here without becoming text.
 */
function plainMiss(bytes: Buffer, at: number): boolean {
  const reach = bytes.subarray(at, Math.min(at + 3 * SECRET_LENGTH, lineEnd(bytes, at)));
  return !reach.includes(0x25) && !reach.includes(0x5c) && !isChecksummedSecret(bytes.toString('latin1', at, at + SECRET_LENGTH));
}

/**
 * The lines `findSecrets` may read for a marker at `at`: from the line before the first to the
 * line after the last of its line and, when that line is wrapped base64, the lines of the blob
 * around it (back up to the run-length cap, forward far enough for a base64 window).
 */
function windowAround(bytes: Buffer, at: number): [number, number] {
  let start = lineStart(bytes, at);
  let end = lineEnd(bytes, at);
  if (base64Line(bytes, start, end)) {
    for (let above = start > 0 ? base64Line(bytes, lineStart(bytes, start - 1), start - 1) : undefined; above; ) {
      start = lineStart(bytes, start - 1);
      if (at - above.content >= BASE64_RUN_CAP) break;
      above = start > 0 ? base64Line(bytes, lineStart(bytes, start - 1), start - 1) : undefined;
    }
    for (let chars = 0; chars < BASE64_WINDOW && end < bytes.length; ) {
      const below = base64Line(bytes, end + 1, lineEnd(bytes, end + 1));
      if (!below) break;
      chars += below.length;
      end = lineEnd(bytes, end + 1);
    }
  }
  return [lineStart(bytes, start - 1), lineEnd(bytes, end + 1)];
}

const BASE64_BYTE = new Uint8Array(256);
for (const char of SECRET_ALPHABET) BASE64_BYTE[char.charCodeAt(0)] = 1;

/**
 * Whether the line from `start` to `end` (its newline) is a line of wrapped base64 as
 * `findSecrets` reads one: indentation, base64, at most two `=`, perhaps a `\r`. Gives where its
 * content starts and how many base64 characters it holds.
 */
function base64Line(bytes: Buffer, start: number, end: number): { content: number; length: number } | undefined {
  let i = start;
  while (i < end && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++;
  const content = i;
  while (i < end && BASE64_BYTE[bytes[i]!]) i++;
  const length = i - content;
  for (let pad = 0; pad < 2 && i < end && bytes[i] === 0x3d; pad++) i++;
  if (i < end && bytes[i] === 0x0d) i++;
  return length > 0 && i === end ? { content, length } : undefined;
}

/** The offset where the line holding `offset` starts (0 for any offset before the text). */
function lineStart(bytes: Buffer, offset: number): number {
  return offset <= 0 ? 0 : bytes.lastIndexOf(NEWLINE, offset - 1) + 1;
}

/** The offset of the newline that ends the line holding `offset`, or the text's length. */
function lineEnd(bytes: Buffer, offset: number): number {
  if (offset >= bytes.length) return bytes.length;
  const at = bytes.indexOf(NEWLINE, offset);
  return at === -1 ? bytes.length : at;
}

function byPosition(a: FileFinding, b: FileFinding): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
}

/** The worker module, and how to load it: from the TypeScript sources, through tsx as the main thread was. */
function workerModule(): { url: URL; execArgv: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const url = new URL(fromSources ? './scan-worker.ts' : './scan-worker.js', import.meta.url);
  if (!fromSources) return { url, execArgv: [] };
  return { url, execArgv: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] };
}

/**
 * Scans with `helpers` workers, each taking the next batch of paths when free, and (unless
 * `callerScans` is false) with this thread too: a worker needs ~0.1 s to start, which this thread
 * spends scanning. Findings unsorted.
 */
export async function scanInParallel(paths: readonly string[], options: TreeScanOptions, helpers: number, callerScans = true): Promise<TreeScanResult> {
  const { url, execArgv } = workerModule();
  const result: TreeScanResult = { findings: [], files: 0, skipped: [] };
  let next = 0;
  const take = () => {
    if (next >= paths.length) return undefined;
    next += BATCH;
    return paths.slice(next - BATCH, next);
  };
  const add = (part: TreeScanResult) => {
    result.files += part.files;
    result.findings.push(...part.findings);
    result.skipped.push(...part.skipped);
  };
  const workers = Array.from({ length: helpers }, () => new Worker(url, { execArgv, workerData: options }));
  const done = workers.map(
    (worker) =>
      new Promise<void>((resolve, reject) => {
        const feed = () => {
          const batch = take();
          if (batch) worker.postMessage(batch);
          else void worker.terminate().then(() => resolve());
        };
        worker.on('message', (part: TreeScanResult) => {
          add(part);
          feed();
        });
        worker.on('error', reject);
        worker.on('online', feed);
      }),
  );
  try {
    for (let batch = callerScans ? take() : undefined; batch; batch = take()) {
      add(scanFiles(batch, options));
      // Let the workers' answers in, and hand them their next batch.
      await setImmediate();
    }
    await Promise.all(done);
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw error;
  }
  return result;
}
