import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CliError } from './io.js';

const storedApiKey = z.object({ secret: z.string(), resource: z.string() });

const context = z.object({
  url: z.string(),
  api_key: z.string(),
  api_secret: z.string(),
  /** The owner of the login key (u-… or sa-…), for `--current-user` and keys made for oneself. */
  principal: z.string().optional(),
  /** Set by `environment use`; the default for commands that need an environment. */
  environment: z.string().optional(),
  /** Secrets saved by `api-key store`, `create` and `rotate`, by key id. */
  api_keys: z.record(z.string(), storedApiKey).default({}),
  /** The active key per resource, set by `api-key use`. */
  active_api_keys: z.record(z.string(), z.string()).default({}),
});

const configFile = z.object({
  current_context: z.string().optional(),
  contexts: z.record(z.string(), context).default({}),
});

export type StoredApiKey = z.infer<typeof storedApiKey>;
export type ContextConfig = z.infer<typeof context>;
export type CliConfig = z.infer<typeof configFile>;

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
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return configFile.parse({});
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON`, { suggestion: 'fix it, or delete it and run "keyplane login" again' });
  }
  const parsed = configFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(`${path} is not a Keyplane config: ${issue.path.join('.') || 'the file'}: ${issue.message}`, {
      suggestion: 'fix it, or delete it and run "keyplane login" again',
    });
  }
  return parsed.data;
}

/** Writes the whole file at once (a crash leaves the old or the new one), readable by its owner only. */
export function writeConfig(path: string, config: CliConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}
