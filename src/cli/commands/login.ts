import type { Command } from 'commander';
import { ApiClient, ApiError } from '../api-client.js';
import { type ContextConfig, configPath, readConfig, updateConfig } from '../config-file.js';
import { CliError, type CliIo, UsageError } from '../io.js';
import { type Field, outputOption, type OutputFormat, printDone, printList } from '../output.js';
import { normaliseUrl } from '../session.js';
import { examples } from './common.js';

interface LoginOptions {
  url?: string;
  context?: string;
  output: OutputFormat;
}

interface ContextRow {
  name: string;
  current: boolean;
  context: ContextConfig;
}

const contextFields: Field<ContextRow>[] = [
  { header: 'Current', key: 'current', value: (r) => r.current },
  { header: 'Name', key: 'name', value: (r) => r.name },
  { header: 'Server', key: 'url', value: (r) => r.context.url },
  { header: 'API Key', key: 'api_key', value: (r) => r.context.api_key },
  { header: 'Principal', key: 'principal', value: (r) => r.context.principal },
  { header: 'Environment', key: 'environment', value: (r) => r.context.environment },
];

export function registerLoginCommands(program: Command, io: CliIo): void {
  program
    .command('login')
    .summary('log in to a Keyplane server with a Cloud API key')
    .description(
      'Log in to a Keyplane server with a Cloud API key and secret, checked with the server and saved in\n' +
        '~/.keyplane/config.json (readable by you only) as a context that later commands use.\n' +
        'The key and secret are asked for at a terminal, or taken from KEYPLANE_API_KEY and KEYPLANE_API_SECRET.',
    )
    .option('--url <server>', 'the server, e.g. http://localhost:8080 (default: KEYPLANE_URL)')
    .option('--context <name>', 'the name to save the login under (default: <key>@<host>)')
    .addOption(outputOption())
    .addHelpText('after', examples('keyplane login --url http://localhost:8080', 'KEYPLANE_API_KEY=… KEYPLANE_API_SECRET=… keyplane login --url https://keys.example.com'))
    .action((options: LoginOptions) => login(io, options));

  program
    .command('logout')
    .summary('forget the current login and the secrets stored with it')
    .description('Remove the current context from the config file, with every API secret stored in it')
    .addOption(outputOption())
    .action((options: { output: OutputFormat }) => logout(io, options.output));

  const context = program.command('context').summary('list the saved logins, or switch between them').description('Manage saved logins (contexts)');
  context
    .command('list')
    .summary('list the saved logins')
    .description('List the saved logins; the current one is marked *')
    .addOption(outputOption())
    .action((options: { output: OutputFormat }) => listContexts(io, options.output));
  context
    .command('use')
    .summary('make a saved login the current one')
    .description('Make a saved login the current one')
    .argument('<name>', 'the context, as "keyplane context list" shows it')
    .addOption(outputOption())
    .action((name: string, options: { output: OutputFormat }) => useContext(io, name, options.output));
}

async function credentials(io: CliIo): Promise<{ key: string; secret: string }> {
  const { KEYPLANE_API_KEY: key, KEYPLANE_API_SECRET: secret } = io.env;
  if (key && secret) return { key, secret };
  if (key || secret) throw new UsageError('KEYPLANE_API_KEY and KEYPLANE_API_SECRET must be set together');
  if (!io.ask) {
    throw new UsageError('no terminal to ask for the API key at', 'set KEYPLANE_API_KEY and KEYPLANE_API_SECRET');
  }
  const asked = { key: (await io.ask('API Key: ')).trim(), secret: (await io.ask('API Secret: ', { hidden: true })).trim() };
  if (!asked.key || !asked.secret) throw new UsageError('the API key and secret must not be empty');
  return asked;
}

async function login(io: CliIo, options: LoginOptions): Promise<void> {
  const path = configPath(io.env);
  // A config others may read is refused before the secret is asked for.
  readConfig(path);
  const given = options.url ?? io.env.KEYPLANE_URL;
  if (!given) throw new UsageError('no server given', 'pass --url http://host:port, or set KEYPLANE_URL');
  const url = normaliseUrl(given);
  const { key, secret } = await credentials(io);

  const client = new ApiClient(url, key, secret);
  let owner: string;
  let kind: string;
  try {
    const found = await client.get<{ spec: { owner: { id: string }; resource: { kind: string } } }>(
      `/iam/v2/api-keys/${encodeURIComponent(key)}`,
    );
    owner = found.spec.owner.id;
    kind = found.spec.resource.kind;
  } catch (error) {
    if (error instanceof ApiError && error.failure.status === 401) {
      throw new CliError(`${url} did not accept API key ${key} with that secret`, {
        suggestion: 'check both, and that the key is a Cloud API key of this server',
      });
    }
    throw error;
  }
  if (kind !== 'Cloud' && kind !== 'Global') {
    throw new UsageError(`API key ${key} is a ${kind} key; logging in needs a Cloud API key`);
  }

  const name = options.context ?? `${key}@${new URL(url).host}`;
  updateConfig(path, (config) => {
    const previous = config.contexts[name];
    // Logging in again to the same server as the same principal keeps what was stored there
    // (keys, the environment in use); anything else starts afresh.
    const same = previous && previous.url === url && previous.principal === owner;
    config.contexts[name] = { api_keys: {}, active_api_keys: {}, ...(same ? previous : {}), url, api_key: key, api_secret: secret, principal: owner };
    config.current_context = name;
  });
  printDone(io, options.output, `Logged in to ${url} as ${owner} with API key "${key}".\nUsing context "${name}".`, {
    context: name,
    url,
    api_key: key,
    principal: owner,
  });
}

function logout(io: CliIo, output: OutputFormat): void {
  let removed: { name: string; context: ContextConfig } | undefined;
  updateConfig(configPath(io.env), (config) => {
    const name = config.current_context;
    const context = name ? config.contexts[name] : undefined;
    if (!name || !context) return;
    removed = { name, context };
    delete config.contexts[name];
    delete config.current_context;
  });
  if (!removed) {
    printDone(io, output, 'You are not logged in.', { context: null });
    return;
  }
  const { name, context } = removed;
  const stored = Object.keys(context.api_keys).length;
  const secrets = stored === 0 ? '' : ` and the ${stored} API secret${stored === 1 ? '' : 's'} stored with it`;
  printDone(io, output, `Logged out of ${context.url}: removed context "${name}"${secrets}.`, { context: name, removed_secrets: stored });
}

function listContexts(io: CliIo, output: OutputFormat): void {
  const config = readConfig(configPath(io.env));
  const rows = Object.entries(config.contexts).map(([name, context]) => ({ name, context, current: name === config.current_context }));
  printList(io, output, contextFields, rows);
}

function useContext(io: CliIo, name: string, output: OutputFormat): void {
  updateConfig(configPath(io.env), (config) => {
    if (!config.contexts[name]) {
      const names = Object.keys(config.contexts);
      throw new CliError(`no context named "${name}"`, {
        suggestion: names.length ? `the saved ones are ${names.map((n) => `"${n}"`).join(', ')}` : 'run "keyplane login" to make one',
      });
    }
    config.current_context = name;
  });
  printDone(io, output, `Using context "${name}".`, { context: name });
}
