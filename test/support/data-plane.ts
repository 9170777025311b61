import { expect, vi } from 'vitest';
import type { TestKeyplane } from './harness.js';

export interface KeyPair {
  key: string;
  secret: string;
}

/** The id of the environment every new organization starts with. */
export async function defaultEnvironment(kp: TestKeyplane): Promise<string> {
  return (await kp.keyplane.services.store.find('environments', { displayName: 'default' }))!.id;
}

/** Creates, as the admin, what `path` answers with, failing the test on an error status. */
export async function created(kp: TestKeyplane, path: string, body: unknown): Promise<any> {
  const res = await kp.call('POST', path, { body });
  expect(res.status, `POST ${path}: ${res.text}`).toBeLessThan(300);
  return res.body;
}

/** A Basic Kafka cluster in `environmentId`; returns its id. */
export async function createKafkaCluster(kp: TestKeyplane, environmentId: string): Promise<string> {
  const spec = { display_name: 'c', cloud: 'AWS', region: 'us-east-1', availability: 'SINGLE_ZONE', config: { kind: 'Basic' }, environment: { id: environmentId } };
  return (await created(kp, '/cmk/v2/clusters', { spec })).id;
}

/** An API key for `owner`, scoped to `resource` (a Cloud key without one), with its secret. */
export async function createKey(kp: TestKeyplane, owner: string, resource?: { id: string; environment?: string }): Promise<KeyPair> {
  const body = await created(kp, '/iam/v2/api-keys', { spec: { owner: { id: owner }, ...(resource ? { resource } : {}) } });
  return { key: body.id, secret: body.spec.secret };
}

/**
 * Counts every check of a secret from now on: an HMAC (a key's first on a node, or a decoy) or a
 * comparison with the fingerprint of a secret already verified.
 */
export function spyOnSecretChecks(kp: TestKeyplane): () => number {
  const { hasher } = kp.keyplane.services;
  const spies = [vi.spyOn(hasher, 'verify'), vi.spyOn(hasher, 'verifyNothing'), vi.spyOn(hasher, 'sameFingerprint')];
  return () => spies.reduce((n, spy) => n + spy.mock.calls.length, 0);
}
