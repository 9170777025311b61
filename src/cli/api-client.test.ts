import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from './api-client.js';
import { CliError } from './io.js';

// A stand-in for a misbehaving server or proxy: answers a real Keyplane never gives.
let server: Server;
let url: string;
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/redirect': (_req, res) => res.writeHead(307, { location: 'http://127.0.0.1:1/collect' }).end(),
  '/html': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'),
  '/not-a-list': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"items": []}'),
  '/empty': (_req, res) => res.writeHead(204).end(),
  '/refused': (_req, res) =>
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ errors: [{ status: '400', code: 'bad_request', detail: '/spec/display_name must not be empty', source: { pointer: '/spec/display_name' } }] })),
  '/drop': (req) => req.socket.destroy(),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      (routes[req.url!.split('?')[0]!] ?? ((_q, r) => r.writeHead(404).end()))(req, res);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((done) => server.close(done)));

const client = () => new ApiClient(url, 'KEY0000000000001', 'cfltsecret');

async function failure(call: Promise<unknown>): Promise<CliError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe('ApiClient', () => {
  it('does not follow a redirect, so a body with a secret never reaches another host', async () => {
    const error = await failure(client().post('/redirect', { secret: 'cfltsecret' }));
    expect(error.message).toBe(`${url} answered with a redirect to http://127.0.0.1:1`);
    expect(error.suggestion).toBe('log in with the URL the server redirects to');
  });

  it('says so when the answer is not JSON, or not a list where one is expected', async () => {
    expect((await failure(client().get('/html'))).message).toBe(`${url} answered GET /html with something other than a JSON object; is it a Keyplane server?`);
    expect((await failure(client().list('/not-a-list'))).message).toBe(`${url} answered /not-a-list without a list; is it a Keyplane server?`);
    expect(await client().delete('/empty')).toBeUndefined();
  });

  it('names the field of a refusal as a dotted path', async () => {
    const error = await failure(client().post('/refused', {}));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe('spec.display_name must not be empty');
    expect((error as ApiError).failure).toMatchObject({ status: 400, code: 'bad_request', field: 'spec.display_name' });
  });

  it('says a change may have been made when the connection breaks after a request was sent', async () => {
    const post = await failure(client().post('/drop', { a: 1 }));
    expect(post.message).toMatch(new RegExp(`^the connection to ${url} broke before it answered \\(`));
    expect(post.suggestion).toBe('the change may or may not have been made; look before trying again');
    const get = await failure(client().get('/drop'));
    expect(get.message).toMatch(/^cannot reach the Keyplane server at /);
  });
});
