import { describe, expect, it } from 'vitest';
import { cliSuite, keyplane, stable } from '../../../test/support/cli.js';

const suite = cliSuite();


describe('keyplane flink region list', () => {
  it('lists every region', async () => {
    const result = await keyplane(['flink', 'region', 'list'], { home: suite.home });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(stable(result.stdout)).toMatchSnapshot();
  });

  it('--cloud keeps the regions of one cloud', async () => {
    const result = await keyplane(['flink', 'region', 'list', '--cloud', 'gcp', '-o', 'json'], { home: suite.home });
    expect(result.code).toBe(0);
    const regions = JSON.parse(result.stdout) as { name: string; cloud: string; region: string }[];
    expect(regions.length).toBe(6);
    expect(new Set(regions.map((r) => r.cloud))).toEqual(new Set(['GCP']));
    expect(regions).toContainEqual({ name: 'Iowa (us-central1)', cloud: 'GCP', region: 'us-central1' });
  });

  it('refuses a cloud it does not know', async () => {
    const result = await keyplane(['flink', 'region', 'list', '--cloud', 'oracle'], { home: suite.home });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^keyplane: error: option '--cloud <cloud>' argument 'oracle' is invalid/);
  });
});
