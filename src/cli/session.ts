import { ApiClient } from './api-client.js';
import { type CliConfig, type ContextConfig, configPath, readConfig, updateConfig } from './config-file.js';
import { CliError, type CliIo, UsageError } from './io.js';

/**
 * The server and key a command talks to. `KEYPLANE_API_KEY` and `KEYPLANE_API_SECRET` (with
 * `KEYPLANE_URL`, else the current context's URL) take precedence over the saved login, so that
 * scripts need no config file; otherwise the current context of the config file is used, with its
 * own URL: a saved secret is only ever sent to the server it was saved for.
 */
export class Session {
  readonly client: ApiClient;

  private constructor(
    readonly io: CliIo,
    readonly path: string,
    private config: CliConfig,
    /** The saved context in use, absent when the key comes from the environment alone. */
    readonly contextName: string | undefined,
    readonly url: string,
    readonly apiKey: string,
    apiSecret: string,
  ) {
    this.client = new ApiClient(url, apiKey, apiSecret);
  }

  static open(io: CliIo): Session {
    const path = configPath(io.env);
    const config = readConfig(path);
    const name = config.current_context;
    const saved = name ? config.contexts[name] : undefined;
    const { KEYPLANE_API_KEY: key, KEYPLANE_API_SECRET: secret, KEYPLANE_URL: envUrl } = io.env;
    if (key || secret) {
      if (!key || !secret) throw new UsageError('KEYPLANE_API_KEY and KEYPLANE_API_SECRET must be set together');
      const given = envUrl || saved?.url;
      if (!given) throw new UsageError('KEYPLANE_API_KEY is set but no server is known', 'set KEYPLANE_URL too');
      const url = normaliseUrl(given);
      const sameLogin = saved && saved.api_key === key && saved.url === url;
      return new Session(io, path, config, sameLogin ? name : undefined, url, key, secret);
    }
    if (!saved || !name) {
      throw new CliError('not logged in', {
        suggestion: 'run "keyplane login --url <server>", or set KEYPLANE_URL, KEYPLANE_API_KEY and KEYPLANE_API_SECRET',
      });
    }
    if (envUrl && normaliseUrl(envUrl) !== saved.url) {
      throw new UsageError(`KEYPLANE_URL names ${normaliseUrl(envUrl)}, but context "${name}" logs in to ${saved.url}`, 
        'unset KEYPLANE_URL, or set KEYPLANE_API_KEY and KEYPLANE_API_SECRET for that server');
    }
    return new Session(io, path, config, name, saved.url, saved.api_key, saved.api_secret);
  }

  /** The saved context, for commands that keep state between runs (stored keys, the environment in use). */
  get context(): ContextConfig | undefined {
    return this.contextName ? this.config.contexts[this.contextName] : undefined;
  }

  /** Refuses at once, before any call, a command that must keep state where there is no saved login. */
  savedContextName(what: string): string {
    if (!this.contextName) {
      throw new CliError(`${what} needs a saved login, and this key comes from KEYPLANE_API_KEY`, {
        suggestion: 'run "keyplane login" first',
      });
    }
    return this.contextName;
  }

  /**
   * Changes the saved context in the config file, re-read under a lock so that a concurrent
   * command's change is kept. Fails if the context is gone meanwhile (logged out elsewhere).
   */
  update(what: string, change: (context: ContextConfig) => void): void {
    const name = this.savedContextName(what);
    this.config = updateConfig(this.path, (config) => {
      const context = config.contexts[name];
      if (!context) throw new CliError(`context "${name}" was removed while this command ran`, { suggestion: 'run "keyplane login" again' });
      change(context);
    });
  }

  /** The owner of the key in use: remembered at login, else asked of the server. */
  async principal(): Promise<string> {
    if (this.context?.principal && this.context.api_key === this.apiKey) return this.context.principal;
    const key = await this.client.get<{ spec: { owner: { id: string } } }>(`/iam/v2/api-keys/${encodeURIComponent(this.apiKey)}`);
    return key.spec.owner.id;
  }

  /** `--environment`, else the one chosen with `environment use`. */
  environment(flag: string | undefined): string {
    const environment = flag || this.context?.environment;
    if (!environment) {
      throw new UsageError('no environment given', 'pass --environment env-…, or choose one with "keyplane environment use env-…"');
    }
    return environment;
  }
}

/** A server URL without credentials in it (they would end up in the config file and in errors). */
export function normaliseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError("the server URL is not a URL", 'give the server as http://host:port or https://host');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`the server URL must be http or https, not ${url.protocol}`);
  if (url.username || url.password) throw new UsageError('the server URL must not hold credentials', 'give the key with login instead');
  return url.href.replace(/\/+$/, '');
}
