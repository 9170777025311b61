import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Context, Hono } from 'hono';
import type { Api } from './api.js';
import type { AppEnv } from './types.js';

export const CONSOLE_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Vite names these by their content's hash: a name never changes its content. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const BUILD_ME = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Keyplane</title></head>
<body>
<h1>Keyplane</h1>
<p>The web console has not been built. Run <code>npm run build</code> in the Keyplane package (or set
KEYPLANE_CONSOLE_DIR to a built console) and restart the server.</p>
<p>The API is served as usual; see <a href="/openapi.json">/openapi.json</a>.</p>
</body>
</html>
`;

function securityHeaders(c: Context<AppEnv>): void {
  c.header('Content-Security-Policy', CONSOLE_CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
}

function acceptsHtml(c: Context<AppEnv>): boolean {
  return (c.req.header('accept') ?? '').includes('text/html');
}

/**
 * The web console, from `dir` (Vite's build output): `/assets/*` with long caching, other files
 * of the build as they are, and `index.html` for any other GET that accepts HTML, so that the
 * console's own routes load it. Paths under the API's prefixes (the first segment of any
 * registered operation, or /openapi.json) are never the console: they stay JSON 404s.
 * Registered after every API route.
 */
export function registerConsoleAssets(app: Hono<AppEnv>, api: Api, dir: string): void {
  let apiSegments: Set<string> | undefined;
  const isApiPath = (path: string) => {
    apiSegments ??= new Set([...api.operations.map((op) => op.path.split('/')[1]!), 'openapi.json']);
    return apiSegments.has(path.split('/')[1]!);
  };
  // Made once the directory exists (it may be built while the server runs): made before, it complains on stderr.
  let files: ReturnType<typeof serveStatic<AppEnv>> | undefined;
  const staticFiles = () => {
    files ??= existsSync(dir)
      ? serveStatic<AppEnv>({
          root: dir,
        })
      : undefined;
    return files;
  };

  // Middleware rather than a route: it runs only where no route answered, and is no API operation.
  app.use('*', async (c, next) => {
    const path = c.req.path;
    if ((c.req.method !== 'GET' && c.req.method !== 'HEAD') || isApiPath(path)) return next();
    securityHeaders(c);
    if (path !== '/' && path !== '/index.html') {
      // Set before the file is found: a header set once a response exists does not reach it.
      c.header('Cache-Control', path.startsWith('/assets/') ? IMMUTABLE : 'no-cache');
      const found = await staticFiles()?.(c, async () => {});
      if (found) return found;
      c.header('Cache-Control', undefined);
      if (path.startsWith('/assets/') || !acceptsHtml(c)) return next();
    }
    c.header('Cache-Control', 'no-cache');
    const index = await readIndex(dir);
    return c.html(index ?? BUILD_ME);
  });
}

async function readIndex(dir: string): Promise<string | undefined> {
  const file = join(dir, 'index.html');
  try {
    if (!(await stat(file)).isFile()) return undefined;
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}
