import { afterAll, expect } from 'vitest';
import { capturedLogs, findLeakedSecrets, issuedSecrets } from './harness.js';

// No secret handed out during a test file may appear in any log line written during it.
afterAll(() => {
  if (issuedSecrets.size === 0) return;
  expect(capturedLogs.length, 'the server logged while secrets were handed out').toBeGreaterThan(0);
  expect(findLeakedSecrets(capturedLogs, issuedSecrets), 'secrets found in the server log').toEqual([]);
});
