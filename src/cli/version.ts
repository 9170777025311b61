import { readFileSync } from 'node:fs';

/** The package's version, read once for `--version` and the SARIF log's tool. */
export const version: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
