import { afterAll, expect } from 'vitest';
import { capturedLogs, issuedSecrets } from './harness.js';

// No secret handed out during a test file may appear in any log line written during it.
afterAll(() => {
  if (issuedSecrets.size === 0) return;
  const log = capturedLogs.join('');
  const leaked = [...issuedSecrets].filter((s) => log.includes(s));
  expect(leaked.map((s) => `${s.slice(0, 8)}…`), 'secrets found in the server log').toEqual([]);
});
