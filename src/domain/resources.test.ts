import { describe, expect, it } from 'vitest';
import { defaultQuotaLimits, parseQuotaOverrides } from './quotas.js';
import { findFlinkRegion } from './regions.js';
import { inferKeyScope, isManagementScope } from './resources.js';
import { checkEmail, checkText } from './text.js';

describe('key scope inference', () => {
  it.each([
    ['lkc-abc123', 'Cluster', 'lkc-abc123'],
    ['LKC-ABC123', 'Cluster', 'lkc-abc123'],
    ['lsrc-ab12c', 'SchemaRegistry', 'lsrc-ab12c'],
    ['lksqlc-ab12c', 'ksqlDB', 'lksqlc-ab12c'],
    ['aws.us-east-1', 'Region', 'aws.us-east-1'],
    ['GCP.us-central1', 'Region', 'gcp.us-central1'],
    ['cloud', 'Cloud', 'cloud'],
    ['CLOUD', 'Cloud', 'cloud'],
    ['Global', 'Global', 'global'],
    ['tableflow', 'Tableflow', 'tableflow'],
  ])('%s is %s', (raw, kind, id) => {
    expect(inferKeyScope(raw)).toEqual({ kind, id });
  });

  it.each(['', 'env-abc123', 'sa-1', 'ibm.us-east', 'aws.', 'kafka'])('%s names no scope', (raw) => {
    expect(inferKeyScope(raw)).toBeUndefined();
  });

  it('lets only Cloud and Global keys call the management API', () => {
    expect(isManagementScope('Cloud')).toBe(true);
    expect(isManagementScope('Global')).toBe(true);
    expect(isManagementScope('Cluster')).toBe(false);
    expect(isManagementScope('Region')).toBe(false);
  });

  it('knows Flink regions case-insensitively', () => {
    expect(findFlinkRegion('AWS.us-east-1')?.cloud).toBe('AWS');
    expect(findFlinkRegion('aws.mars-1')).toBeUndefined();
  });
});

describe('quota limits', () => {
  it('starts from the documented defaults', () => {
    expect(defaultQuotaLimits()['iam.max_cloud_api_keys.per_user']).toBe(10);
    expect(defaultQuotaLimits()['kafka.max_api_keys.per_cluster']).toBe(2000);
  });

  it('takes overrides and refuses unknown codes and bad numbers', () => {
    const parsed = parseQuotaOverrides('iam.max_environments.per_org=3, iam.max_cloud_api_keys.per_user=0');
    expect(parsed.ok && parsed.limits['iam.max_environments.per_org']).toBe(3);
    expect(parsed.ok && parsed.limits['iam.max_cloud_api_keys.per_user']).toBe(0);
    expect(parseQuotaOverrides('nope=1')).toMatchObject({ ok: false, error: expect.stringContaining('nope') });
    expect(parseQuotaOverrides('iam.max_environments.per_org=-1').ok).toBe(false);
    expect(parseQuotaOverrides('iam.max_environments.per_org').ok).toBe(false);
  });
});

describe('free text', () => {
  it('accepts ordinary text, including non-Latin scripts', () => {
    expect(checkText('/d', 'orders producer — 东京', 64)).toBe('orders producer — 东京');
  });

  it('refuses over-long and control-character text, naming the field', () => {
    expect(() => checkText('/spec/description', 'x'.repeat(129), 128)).toThrow(/\/spec\/description.*128/);
    expect(() => checkText('/n', 'a\u0000b', 64)).toThrow(/control/);
    expect(() => checkText('/n', 'evil\u202etxt', 64)).toThrow(/control/);
    expect(() => checkText('/n', '  ', 64, { required: true })).toThrow(/empty/);
    expect(() => checkText('/n', 'a\ud800b', 64)).toThrow(/Unicode/);
  });

  it('normalises email addresses and refuses non-addresses', () => {
    expect(checkEmail('/email', 'Ada@Example.COM')).toBe('ada@example.com');
    expect(() => checkEmail('/email', 'not-an-email')).toThrow(/email/);
  });
});
