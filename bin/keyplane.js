#!/usr/bin/env node
// The keyplane command. It runs the TypeScript sources through tsx, so no build step is needed.

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `keyplane: error: Node.js 22.12 or later is needed, and this is ${process.version}; install Node.js 24 LTS from https://nodejs.org\n`,
  );
  process.exit(1);
}

const { register } = await import('tsx/esm/api');
register();
const { run } = await import('../src/cli/main.ts');
const code = await run(process.argv.slice(2));
// Writes to a pipe are asynchronous: exiting at once would cut long output short.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((done) => stream.write('', done))));
process.exit(code);
