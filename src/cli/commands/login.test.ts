import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, inTerminal, keyplane, stable, startCliServer } from '../../../test/support/cli.js';

let kp: CliServer;
beforeAll(async () => {
  kp = await startCliServer();
});
afterAll(() => kp?.stop());

const configOf = (home: string) => join(home, '.keyplane', 'config.json');

/** A port nothing listens on: bound for a moment, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

describe('keyplane login, logout and context', () => {
  it('logs in with the key from the environment, checks it with the server, and saves it readable by the user only', async () => {
    const home = kp.home();
    const login = await keyplane(['login', '--url', kp.url], {
      home,
      env: { KEYPLANE_API_KEY: kp.adminKey, KEYPLANE_API_SECRET: kp.adminSecret },
    });
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(stable(login.stdout)).toMatchSnapshot();
    expect(statSync(configOf(home)).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.keyplane')).mode & 0o777).toBe(0o700);
    const config = JSON.parse(readFileSync(configOf(home), 'utf8'));
    const context = config.contexts[config.current_context];
    expect(context).toMatchObject({ url: kp.url, api_key: kp.adminKey, api_secret: kp.adminSecret });
    expect(context.principal).toMatch(/^u-[a-z0-9]+$/);

    // Later commands use the saved login, with no variables set.
    const list = await keyplane(['api-key', 'list', '-o', 'json'], { home });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((k: { key: string }) => k.key)).toContain(kp.adminKey);
  });

  it('asks for the key and secret at a terminal, without echoing the secret', async () => {
    const home = kp.home();
    const login = await inTerminal(['login', '--url', kp.url], {
      home,
      answers: [
        { after: 'API Key: ', type: kp.adminKey },
        { after: 'API Secret: ', type: kp.adminSecret },
      ],
    });
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`API Key: ${kp.adminKey}\nAPI Secret: \nLogged in to ${kp.url} as u-`);
    expect(login.stdout).not.toContain(kp.adminSecret);
    expect(JSON.parse(readFileSync(configOf(home), 'utf8')).contexts[`${kp.adminKey}@${new URL(kp.url).host}`].api_secret).toBe(kp.adminSecret);
  });

  it('cancels cleanly when the question is answered with Ctrl-D', async () => {
    const home = kp.home();
    const login = await inTerminal(['login', '--url', kp.url], { home, answers: [{ after: 'API Key: ', type: '\u0004' }] });
    expect(login.code).toBe(1);
    expect(login.stdout).toContain('keyplane: error: cancelled\n');
    expect(() => statSync(configOf(home))).toThrow();
  });

  it('never sends a saved secret to a server KEYPLANE_URL names instead', async () => {
    const home = await kp.loggedInHome();
    const elsewhere = `http://127.0.0.1:${await closedPort()}`;
    const refused = await keyplane(['api-key', 'list'], { home, env: { KEYPLANE_URL: elsewhere } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`KEYPLANE_URL names ${elsewhere}, but context`);
    const same = await keyplane(['api-key', 'list', '-o', 'json'], { home, env: { KEYPLANE_URL: `${kp.url}/` } });
    expect(same.code).toBe(0);
  });

  it('refuses a wrong secret without saving anything or printing the secret', async () => {
    const home = kp.home();
    const wrong = `${kp.adminSecret.slice(0, -8)}AAAAAAAA`;
    const login = await keyplane(['login', '--url', kp.url], { home, env: { KEYPLANE_API_KEY: kp.adminKey, KEYPLANE_API_SECRET: wrong } });
    expect(login.code).toBe(1);
    expect(login.stderr).toBe(
      `keyplane: error: ${kp.url} did not accept API key ${kp.adminKey} with that secret; check both, and that the key is a Cloud API key of this server\n`,
    );
    expect(login.stderr + login.stdout).not.toContain(wrong);
    expect(() => statSync(configOf(home))).toThrow();
  });

  it('says the server cannot be reached, and how to start one', async () => {
    const home = kp.home();
    const url = `http://127.0.0.1:${await closedPort()}`;
    const login = await keyplane(['login', '--url', url], { home, env: { KEYPLANE_API_KEY: kp.adminKey, KEYPLANE_API_SECRET: kp.adminSecret } });
    expect(login.code).toBe(1);
    expect(login.stderr).toBe(
      `keyplane: error: cannot reach the Keyplane server at ${url} (connection refused); check that it is running and that the URL is right; "keyplane server start" runs one\n`,
    );
  });

  it('tells usage errors (exit 2) from failures (exit 1)', async () => {
    const home = kp.home();
    const noUrl = await keyplane(['login'], { home, env: { KEYPLANE_API_KEY: kp.adminKey, KEYPLANE_API_SECRET: kp.adminSecret } });
    expect(noUrl).toMatchObject({ code: 2, stderr: 'keyplane: error: no server given; pass --url http://host:port, or set KEYPLANE_URL\n' });
    const noTerminal = await keyplane(['login', '--url', kp.url], { home });
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain('set KEYPLANE_API_KEY and KEYPLANE_API_SECRET');
    const withPassword = await keyplane(['login', '--url', 'http://admin:e@127.0.0.1:1'], {
      home,
      env: { KEYPLANE_API_KEY: kp.adminKey, KEYPLANE_API_SECRET: kp.adminSecret },
    });
    expect(withPassword).toMatchObject({
      code: 2,
      stderr: 'keyplane: error: the server URL must not hold credentials; give the key with login instead\n',
    });
    const notLoggedIn = await keyplane(['api-key', 'list'], { home });
    expect(notLoggedIn.code).toBe(1);
    expect(notLoggedIn.stderr).toBe(
      'keyplane: error: not logged in; run "keyplane login --url <server>", or set KEYPLANE_URL, KEYPLANE_API_KEY and KEYPLANE_API_SECRET\n',
    );
    const typo = await keyplane(['api-kye', 'list'], { home });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("keyplane: error: unknown command 'api-kye'; did you mean api-key?\n");
  });

  it('refuses a config file that others can read, and says how to fix it', async () => {
    const home = await kp.loggedInHome();
    chmodSync(configOf(home), 0o644);
    const list = await keyplane(['api-key', 'list'], { home });
    expect(list.code).toBe(1);
    expect(list.stderr).toBe(
      `keyplane: error: ${configOf(home)} holds API secrets and others may read it (mode 0644); run "chmod 600 ${configOf(home)}" and try again\n`,
    );
    chmodSync(configOf(home), 0o600);
    writeFileSync(configOf(home), '{"contexts": []}', { mode: 0o600 });
    const broken = await keyplane(['api-key', 'list'], { home });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/is not a Keyplane config: contexts: .*; fix it, or delete it and run "keyplane login" again\n$/);
  });

  it('keeps several logins as contexts, switches between them, and logs out of one', async () => {
    const home = await kp.loggedInHome();
    const second = await keyplane(['login', '--url', kp.url, '--context', 'second'], {
      home,
      env: { KEYPLANE_API_KEY: kp.adminKey, KEYPLANE_API_SECRET: kp.adminSecret },
    });
    expect(second.code).toBe(0);
    const list = await keyplane(['context', 'list'], { home });
    expect(stable(list.stdout)).toMatchSnapshot();
    const use = await keyplane(['context', 'use', `${kp.adminKey}@${new URL(kp.url).host}`, '-o', 'json'], { home });
    expect(JSON.parse(use.stdout)).toEqual({ context: `${kp.adminKey}@${new URL(kp.url).host}` });
    const contexts = JSON.parse((await keyplane(['context', 'list', '-o', 'json'], { home })).stdout);
    expect(contexts.map((c: { name: string; current: boolean }) => [c.name, c.current])).toEqual([
      [`${kp.adminKey}@${new URL(kp.url).host}`, true],
      ['second', false],
    ]);
    const unknown = await keyplane(['context', 'use', 'third'], { home });
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.stderr).toContain('no context named "third"; the saved ones are');

    const logout = await keyplane(['logout'], { home });
    expect(logout.code).toBe(0);
    expect(stable(logout.stdout)).toBe(`Logged out of ${stable(kp.url)}: removed context "${stable(`${kp.adminKey}@${new URL(kp.url).host}`)}".\n`);
    const config = JSON.parse(readFileSync(configOf(home), 'utf8'));
    expect(Object.keys(config.contexts)).toEqual(['second']);
    expect(config.current_context).toBeUndefined();
    expect((await keyplane(['api-key', 'list'], { home })).code).toBe(1);
  });
});
