/**
 * The reference for bench/verify.ts: a bare node:http server doing what a Keyplane cache hit
 * does and nothing else: for the verifier's header and for Authorization, parse HTTP Basic,
 * look the key up in a Map, SHA-256 the secret and compare fingerprints in constant time; then
 * answer 200 with the principal. Keys come as `KEYS=id:secret,id:secret`; listens on PORT.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecretHasher } from '../src/services/secret-hasher.js';

const hasher = createSecretHasher({ current: 1, keys: new Map([[1, Buffer.alloc(32, 1)]]) });
const prints = new Map<string, string>();
for (const pair of (process.env.KEYS ?? '').split(',').filter(Boolean)) {
  const [id, secret] = pair.split(':') as [string, string];
  prints.set(id, hasher.fingerprint(secret));
}

function valid(header: string | undefined): string | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const id = decoded.slice(0, colon);
  const print = prints.get(id);
  return print !== undefined && hasher.sameFingerprint(print, hasher.fingerprint(decoded.slice(colon + 1))) ? id : undefined;
}

const server = createServer((req, res) => {
  const verifier = valid(req.headers['x-keyplane-verifier'] as string | undefined);
  const client = verifier && valid(req.headers.authorization);
  res.writeHead(client ? 200 : 401, { 'X-Keyplane-Principal': client ?? '', 'Content-Length': '0' });
  res.end();
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
