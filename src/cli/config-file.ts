import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { z } from 'zod';
import { CliError } from './io.js';

function configSchema(zod: typeof z) {
  const storedApiKey = zod.object({ secret: zod.string(), resource: zod.string() });
  const context = zod.object({
    url: zod.string(),
    api_key: zod.string(),
    api_secret: zod.string(),
    /** The owner of the login key (u-… or sa-…), for `--current-user` and keys made for oneself. */
    principal: zod.string().optional(),
    /** Set by `environment use`; the default for commands that need an environment. */
    environment: zod.string().optional(),
    /** Secrets saved by `api-key store`, `create` and `rotate`, by key id. */
    api_keys: zod.record(zod.string(), storedApiKey).default({}),
    /** The active key per resource, set by `api-key use`. */
    active_api_keys: zod.record(zod.string(), zod.string()).default({}),
  });
  return zod.object({
    current_context: zod.string().optional(),
    contexts: zod.record(zod.string(), context).default({}),
  });
}

export type CliConfig = z.infer<ReturnType<typeof configSchema>>;
export type ContextConfig = CliConfig['contexts'][string];
export type StoredApiKey = ContextConfig['api_keys'][string];

let schema: ReturnType<typeof configSchema> | undefined;

/**
 * The schema, built when a config is first read: zod takes a fifth of the CLI's start-up, and
 * commands that never read the config (scan, --help) need not load it.
 */
function configFile(): ReturnType<typeof configSchema> {
  schema ??= configSchema((createRequire(import.meta.url)('zod') as { z: typeof z }).z);
  return schema;
}

/** `$KEYPLANE_CONFIG_DIR/config.json`, else `~/.keyplane/config.json`. */
export function configPath(env: Record<string, string | undefined>): string {
  return join(env.KEYPLANE_CONFIG_DIR || join(env.HOME || homedir(), '.keyplane'), 'config.json');
}

/**
 * Reads the config file; a missing one is an empty config. The file holds secrets, so one that
 * anybody but its owner may read is refused, with the command that fixes it.
 */
export function readConfig(path: string): CliConfig {
  let text: string;
  try {
    const { mode } = statSync(path);
    if ((mode & 0o077) !== 0) {
      throw new CliError(`${path} holds API secrets and others may read it (mode ${(mode & 0o777).toString(8).padStart(4, '0')})`, {
        suggestion: `run "chmod 600 ${path}" and try again`,
      });
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return configFile().parse({});
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON`, { suggestion: 'fix it, or delete it and run "keyplane login" again' });
  }
  const parsed = configFile().safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(`${path} is not a Keyplane config: ${issue.path.join('.') || 'the file'}: ${issue.message}`, {
      suggestion: 'fix it, or delete it and run "keyplane login" again',
    });
  }
  return parsed.data;
}

/** Writes the whole file at once (a crash leaves the old or the new one), readable by its owner only. */
function writeConfig(path: string, config: CliConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // A fresh name, created exclusively: never an existing file or a symlink planted in a shared directory.
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
}

const LOCK_WAIT_MS = 5_000;
const LOCK_STALE_MS = 30_000;

/** Holds `<path>.lock` while `body` runs, so that two commands never write over each other's change. */
function withLock<T>(path: string, body: () => T): T {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new CliError(`cannot lock ${path}: ${(error as Error).message}`);
      // A lock left by a command that was killed is taken over once it is clearly abandoned.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) rmSync(lock, { force: true });
      else if (Date.now() > deadline) {
        throw new CliError(`${path} is locked by another keyplane command`, { suggestion: `try again, or delete ${lock} if no keyplane command is running` });
      } else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  }
  try {
    return body();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * Changes the config file: reads it afresh under a lock, applies `change` and writes the result,
 * so that concurrent commands each keep the other's change. Returns the config as written.
 */
export function updateConfig(path: string, change: (config: CliConfig) => void): CliConfig {
  return withLock(path, () => {
    const config = readConfig(path);
    change(config);
    writeConfig(path, config);
    return config;
  });
}
