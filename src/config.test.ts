import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('has defaults that work on a laptop', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8080, logLevel: 'info', publicUrl: 'http://127.0.0.1:8080' });
    expect(config.dataDir).toMatch(/\.keyplane$/);
    expect(config.databaseUrl).toBe(`sqlite:${config.dataDir}/keyplane.db`);
    expect(config.quotas['iam.max_environments.per_org']).toBe(25);
  });

  it('derives the public URL from host and port, and strips a trailing slash from an explicit one', () => {
    expect(loadConfig({ KEYPLANE_HOST: '0.0.0.0', KEYPLANE_PORT: '9000' }).publicUrl).toBe('http://localhost:9000');
    expect(loadConfig({ KEYPLANE_PUBLIC_URL: 'https://keys.example.com/' }).publicUrl).toBe('https://keys.example.com');
  });

  it('limits management requests and failed authentications by default, and takes other limits', () => {
    expect(loadConfig({}).rateLimits).toEqual({
      requestsPerMinute: 1200,
      burst: 100,
      authFailuresPerKeyPerMinute: 10,
      authFailuresPerAddressPerMinute: 60,
    });
    const config = loadConfig({
      KEYPLANE_RATE_LIMIT_PER_MINUTE: '60',
      KEYPLANE_RATE_LIMIT_BURST: '5',
      KEYPLANE_AUTH_FAILURES_PER_MINUTE: '3',
      KEYPLANE_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: '1000000000',
    });
    expect(config.rateLimits).toEqual({
      requestsPerMinute: 60,
      burst: 5,
      authFailuresPerKeyPerMinute: 3,
      authFailuresPerAddressPerMinute: 1_000_000_000,
    });
  });

  it('generates the bootstrap password unless given, keeping a given one exactly, spaces and all', () => {
    expect(loadConfig({}).bootstrapPassword).toBeUndefined();
    expect(loadConfig({ KEYPLANE_BOOTSTRAP_PASSWORD: '' }).bootstrapPassword).toBeUndefined();
    expect(loadConfig({ KEYPLANE_BOOTSTRAP_PASSWORD: ' twelve chars ' }).bootstrapPassword).toBe(' twelve chars ');
    expect(() => loadConfig({ KEYPLANE_BOOTSTRAP_PASSWORD: 'x'.repeat(257) })).toThrow(/KEYPLANE_BOOTSTRAP_PASSWORD must be 12 to 256/);
    try {
      loadConfig({ KEYPLANE_BOOTSTRAP_PASSWORD: 'short-pw' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).not.toContain('short-pw');
    }
  });

  it('serves the console from the package build unless KEYPLANE_CONSOLE_DIR says otherwise', () => {
    expect(loadConfig({}).consoleDir).toBe(resolve(import.meta.dirname, '..', 'dist', 'web'));
    expect(loadConfig({ KEYPLANE_CONSOLE_DIR: 'web-build' }).consoleDir).toBe(resolve('web-build'));
  });

  it('has no audit sinks and keeps audit events a year by default, and takes sinks and a retention', () => {
    expect(loadConfig({}).audit).toEqual({ enabled: true, file: undefined, webhookUrl: undefined, webhookToken: undefined, retentionDays: 365 });
    expect(loadConfig({ KEYPLANE_AUDIT: 'off' }).audit.enabled).toBe(false);
    expect(() => loadConfig({ KEYPLANE_AUDIT: 'no' })).toThrow('KEYPLANE_AUDIT must be on or off, not "no"');
    const config = loadConfig({
      KEYPLANE_AUDIT_FILE: 'audit/events.jsonl',
      KEYPLANE_AUDIT_WEBHOOK_URL: 'https://siem.example.com/ingest?tenant=7',
      KEYPLANE_AUDIT_WEBHOOK_TOKEN: 'tok-123',
      KEYPLANE_AUDIT_RETENTION_DAYS: '0',
    });
    expect(config.audit).toEqual({
      enabled: true,
      file: resolve('audit/events.jsonl'),
      webhookUrl: 'https://siem.example.com/ingest?tenant=7',
      webhookToken: 'tok-123',
      retentionDays: 0,
    });
  });

  it('never repeats the webhook URL or token in its errors, which may hold credentials', () => {
    expect(() => loadConfig({ KEYPLANE_AUDIT_WEBHOOK_URL: 'ftp://user:hunter2@x' })).toThrow(/KEYPLANE_AUDIT_WEBHOOK_URL/);
    expect(() => loadConfig({ KEYPLANE_AUDIT_WEBHOOK_URL: 'ftp://user:hunter2@x' })).not.toThrow(/hunter2/);
    expect(() => loadConfig({ KEYPLANE_AUDIT_WEBHOOK_TOKEN: 'hunter2 x' })).toThrow(/KEYPLANE_AUDIT_WEBHOOK_TOKEN/);
    expect(() => loadConfig({ KEYPLANE_AUDIT_WEBHOOK_TOKEN: 'hunter2 x' })).not.toThrow(/hunter2/);
  });

  it.each([
    [{ KEYPLANE_AUDIT_WEBHOOK_URL: 'not a url' }, /KEYPLANE_AUDIT_WEBHOOK_URL/],
    [{ KEYPLANE_AUDIT_WEBHOOK_URL: 'file:///etc/passwd' }, /KEYPLANE_AUDIT_WEBHOOK_URL/],
    [{ KEYPLANE_AUDIT_WEBHOOK_TOKEN: 'line\nbreak' }, /KEYPLANE_AUDIT_WEBHOOK_TOKEN/],
    [{ KEYPLANE_AUDIT_RETENTION_DAYS: '-1' }, /KEYPLANE_AUDIT_RETENTION_DAYS/],
    [{ KEYPLANE_AUDIT_RETENTION_DAYS: 'forever' }, /KEYPLANE_AUDIT_RETENTION_DAYS/],
    [{ KEYPLANE_PORT: 'eighty' }, /KEYPLANE_PORT/],
    [{ KEYPLANE_PORT: '70000' }, /KEYPLANE_PORT/],
    [{ KEYPLANE_LOG_LEVEL: 'loud' }, /KEYPLANE_LOG_LEVEL/],
    [{ KEYPLANE_PUBLIC_URL: 'ftp://x' }, /KEYPLANE_PUBLIC_URL/],
    [{ KEYPLANE_DATABASE_URL: 'mysql://x' }, /KEYPLANE_DATABASE_URL/],
    [{ KEYPLANE_QUOTAS: 'bogus=1' }, /KEYPLANE_QUOTAS/],
    [{ KEYPLANE_MAX_BODY_BYTES: '10' }, /KEYPLANE_MAX_BODY_BYTES/],
    [{ KEYPLANE_RATE_LIMIT_PER_MINUTE: '0' }, /KEYPLANE_RATE_LIMIT_PER_MINUTE/],
    [{ KEYPLANE_RATE_LIMIT_PER_MINUTE: '1.5' }, /KEYPLANE_RATE_LIMIT_PER_MINUTE/],
    [{ KEYPLANE_RATE_LIMIT_BURST: '-1' }, /KEYPLANE_RATE_LIMIT_BURST/],
    [{ KEYPLANE_AUTH_FAILURES_PER_MINUTE: 'ten' }, /KEYPLANE_AUTH_FAILURES_PER_MINUTE /],
    [{ KEYPLANE_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: '10000000000' }, /KEYPLANE_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE/],
  ])('refuses %o with an error naming the variable', (input, message) => {
    expect(() => loadConfig(input)).toThrow(ConfigError);
    expect(() => loadConfig(input)).toThrow(message);
  });
});
