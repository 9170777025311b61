import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, keyplane, stable, startCliServer } from '../../../test/support/cli.js';

let kp: CliServer;
let home: string;
beforeAll(async () => {
  kp = await startCliServer();
  home = await kp.loggedInHome();
});
afterAll(() => kp?.stop());

describe('keyplane api-key', () => {
  it('create prints the key and secret once, with the warning', async () => {
    const created = await keyplane(['api-key', 'create', '--resource', 'cloud', '--description', 'ci key'], { home });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(stable(created.stdout)).toMatchSnapshot();
  });
});
