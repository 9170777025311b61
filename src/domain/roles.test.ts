import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindingScopes, operationMatches, roleGrants, roleNames, roles } from './roles.js';

describe('predefined roles', () => {
  it("are Confluent's sixteen names and Keyplane's AuditLogReader, each bound only at known scopes", () => {
    expect(roleNames).toHaveLength(17);
    expect(roleNames).toContain('AuditLogReader');
    for (const name of roleNames) for (const scope of roles[name].scopes) expect(bindingScopes).toContain(scope);
  });

  it('are documented in the README with their scopes', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    for (const name of roleNames) {
      const scopes = roles[name].scopes.map((s) => `\`${s}\``).join(', ');
      expect(readme, `README documents ${name}`).toContain(`| ${name} | ${scopes} | ${roles[name].description} |`);
    }
  });

  it.each([
    ['*', 'Topic:Read', true],
    ['Topic:*', 'Topic:Read', true],
    ['Topic:*', 'TopicX:Read', false],
    ['Topic:Read', 'Topic:Read', true],
    ['Topic:Read', 'Topic:ReadMore', false],
    ['Topic:Read', 'Topic:Write', false],
  ])('pattern %s matches %s: %s', (pattern, operation, expected) => {
    expect(operationMatches(pattern, operation)).toBe(expected);
  });

  it('restricts grants marked for some object types to those types', () => {
    expect(roleGrants('AccountAdmin', 'ApiKey:Manage', 'service-account')).toBe(true);
    expect(roleGrants('AccountAdmin', 'ApiKey:Manage', 'cloud-cluster')).toBe(false);
    expect(roleGrants('AccountAdmin', 'ApiKey:Manage', undefined)).toBe(false);
    expect(roleGrants('AccountAdmin', 'User:Delete', 'user')).toBe(true);
  });
});
