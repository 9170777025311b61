import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * A baseline: the findings a team has accepted, so that a scan reports only new ones. The file
 * never holds a secret: each entry is the SHA-256 of the secret (hex), the path it was found in
 * and, for a finding in git history, the commit. Matching is on exactly those, so a secret that
 * moves to another line of the same file stays accepted, and the same secret in another file
 * does not.
 */

export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  fingerprint: string;
  path: string;
  commit?: string;
}

export interface Baseline {
  version: typeof BASELINE_VERSION;
  findings: BaselineEntry[];
}

/** What a finding must carry to be matched: its secret in full, where it was found. */
export interface Locatable {
  secret: string;
  path: string;
  commit?: string | undefined;
}

/** A baseline file that cannot be used; the message names the file and, where it can, the field. */
export class BaselineError extends Error {
  override name = 'BaselineError';
}

const entrySchema = z.strictObject({
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (a SHA-256)'),
  path: z.string().min(1),
  commit: z.string().regex(/^[0-9a-f]{40,64}$/, 'must be a full commit id').optional(),
});

const baselineSchema = z.strictObject({
  version: z.literal(BASELINE_VERSION, `must be ${BASELINE_VERSION}`),
  findings: z.array(entrySchema),
});

/** SHA-256 of the secret, as hex: `printf %s "$secret" | sha256sum` gives the same. */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function keyOf(entry: BaselineEntry): string {
  return `${entry.fingerprint}\0${entry.path}\0${entry.commit ?? ''}`;
}

function compare(a: BaselineEntry, b: BaselineEntry): number {
  const x = keyOf(a);
  const y = keyOf(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function entryOf(finding: Locatable): BaselineEntry {
  return { fingerprint: fingerprint(finding.secret), path: finding.path, ...(finding.commit ? { commit: finding.commit } : {}) };
}

/** The baseline accepting exactly these findings: one entry per fingerprint, path and commit, in a stable order. */
export function baselineOf(findings: readonly Locatable[]): Baseline {
  const entries = new Map<string, BaselineEntry>();
  for (const finding of findings) {
    const entry = entryOf(finding);
    entries.set(keyOf(entry), entry);
  }
  return { version: BASELINE_VERSION, findings: [...entries.values()].sort(compare) };
}

/** The findings the baseline does not accept (`fresh`) and those it does (`accepted`), each in the order given. */
export function partition<T extends Locatable>(findings: readonly T[], baseline: Baseline): { fresh: T[]; accepted: T[] } {
  const known = new Set(baseline.findings.map(keyOf));
  const fresh: T[] = [];
  const accepted: T[] = [];
  for (const finding of findings) (known.has(keyOf(entryOf(finding))) ? accepted : fresh).push(finding);
  return { fresh, accepted };
}

/** Reads and checks a baseline file. */
export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BaselineError(code === 'ENOENT' ? `baseline ${file} does not exist` : `cannot read baseline ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BaselineError(`baseline ${file} is not valid JSON`);
  }
  const parsed = baselineSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new BaselineError(`baseline ${file} is not a Keyplane baseline: ${field || 'the file'}: ${issue.message}`);
  }
  return parsed.data as Baseline;
}

/** The baseline as its file holds it: two-space JSON, entries sorted, a final newline. */
export function serialiseBaseline(baseline: Baseline): string {
  return `${JSON.stringify({ version: baseline.version, findings: [...baseline.findings].sort(compare) }, null, 2)}\n`;
}

/** Writes the file whole (a crash leaves the old or the new one, never half of one). */
export function writeBaseline(file: string, baseline: Baseline): void {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, serialiseBaseline(baseline), { flag: 'wx' });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new BaselineError(`cannot write baseline ${file}: ${(error as Error).message}`);
  }
}
