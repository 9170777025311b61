import { describe, expect, it } from 'vitest';
import { crnsFor, formatCrn, parseCrn } from './crn.js';

const ORG = '9bb441c4-edef-46ac-8a41-c49e44a3fd9a';

describe('CRNs', () => {
  it('builds CRNs rooted in the organization', () => {
    const crn = crnsFor(ORG);
    expect(crn.environment('env-abc123')).toBe(`crn://confluent.cloud/organization=${ORG}/environment=env-abc123`);
    expect(crn.kafkaCluster('env-abc123', 'lkc-xyz789')).toBe(
      `crn://confluent.cloud/organization=${ORG}/environment=env-abc123/cloud-cluster=lkc-xyz789`,
    );
    expect(crn.serviceAccount('sa-1')).toBe(`crn://confluent.cloud/organization=${ORG}/service-account=sa-1`);
  });

  it('parses what it builds, and the design example', () => {
    const text = `crn://confluent.cloud/organization=${ORG}/environment=env-a/cloud-cluster=lkc-b/kafka=lkc-b/topic=orders`;
    const parsed = parseCrn(text);
    expect(parsed?.authority).toBe('confluent.cloud');
    expect(parsed?.segments.map((s) => s.type)).toEqual(['organization', 'environment', 'cloud-cluster', 'kafka', 'topic']);
    expect(parsed?.segments.at(-1)?.value).toBe('orders');
    expect(formatCrn(parsed!.segments)).toBe(text);
  });

  it('round-trips values that contain a slash or a percent sign', () => {
    const segments = [
      { type: 'organization', value: ORG },
      { type: 'topic', value: 'a/b%c' },
    ];
    const text = formatCrn(segments);
    expect(text).toContain('topic=a%2Fb%25c');
    expect(parseCrn(text)?.segments).toEqual(segments);
  });

  it.each([
    'https://confluent.cloud/organization=x',
    'crn://confluent.cloud/',
    'crn://confluent.cloud/organization',
    'crn://confluent.cloud/organization=',
    'crn://confluent.cloud/Org=x',
    'crn://confluent.cloud/topic=%E0%A4%A',
  ])('refuses %s', (text) => {
    expect(parseCrn(text)).toBeUndefined();
  });
});
