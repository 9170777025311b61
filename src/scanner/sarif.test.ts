import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { newSecret } from '../domain/secret.js';
import { fingerprint } from './baseline.js';
import { findSecrets } from './find-secrets.js';
import { FINGERPRINT_KEY, relativeUri, type SarifFinding, toSarif } from './sarif.js';

const schema = JSON.parse(readFileSync(new URL('../../test/fixtures/sarif/sarif-schema-2.1.0.json', import.meta.url), 'utf8'));
// Both packages are CommonJS with a `default` export; under NodeNext the class sits on `.default`.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);

const secret = () => newSecret((n) => randomBytes(n));

function findingsIn(file: string, text: string, extra: Partial<SarifFinding> = {}): SarifFinding[] {
  return findSecrets(text, { showSecrets: true, legacy: true }).map((f) => ({ ...f, secret: f.secret!, file, ...extra }));
}

describe('toSarif', () => {
  // A secret with a `+` or `/`, so that URL-encoding it changes it (one in seven has neither).
  let escaped = secret();
  while (!/[+/]/.test(escaped)) escaped = secret();
  const [plain, legacyish] = [secret(), `${'Q'.repeat(10)}${secret().slice(10)}`];
  const base = '/work/repo';
  const findings = [
    ...findingsIn('/work/repo/config/app.yaml', `key: ABCD1234EFGH5678\nsecret: ${plain}\n`),
    ...findingsIn('/work/repo/odd dir/#1.sh', `curl "https://h/?s=${encodeURIComponent(escaped)}"\n`),
    ...findingsIn('legacy.env', `API_SECRET=${legacyish}\n`),
    ...findingsIn('old/config.yaml', `secret: ${plain}\n`, { commit: 'c'.repeat(40) }),
  ];
  const log = toSarif(findings, { version: '0.1.0', baseDirectory: base }) as any;

  it('is valid against the official SARIF 2.1.0 schema', () => {
    expect(schema.$id).toBe('https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json');
    expect(findings).toHaveLength(4);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
  });

  it('is checked by that schema: a log without a message in a result is refused', () => {
    const broken = structuredClone(log);
    delete broken.runs[0].results[0].message;
    expect(validate(broken)).toBe(false);
  });

  it('names the tool and both rules, and gives each result its rule, level and location', () => {
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe('keyplane');
    expect(run.tool.driver.rules.map((r: { id: string; defaultConfiguration: { level: string } }) => [r.id, r.defaultConfiguration.level])).toEqual([
      ['keyplane/checksummed-secret', 'error'],
      ['keyplane/legacy-secret', 'warning'],
    ]);
    expect(run.results[0]).toMatchObject({
      ruleId: 'keyplane/checksummed-secret',
      ruleIndex: 0,
      level: 'error',
      locations: [{ physicalLocation: { artifactLocation: { uri: 'config/app.yaml' }, region: { startLine: 2, startColumn: 9, endLine: 2, endColumn: 73 } } }],
      properties: { keyId: 'ABCD1234EFGH5678', encoding: 'plain' },
    });
    expect(run.results[1].locations[0].physicalLocation.artifactLocation.uri).toBe('odd%20dir/%231.sh');
    expect(run.results[1].locations[0].physicalLocation.region).toEqual({ startLine: 1, startColumn: 20 });
    expect(run.results[2]).toMatchObject({ ruleId: 'keyplane/legacy-secret', ruleIndex: 1, level: 'warning' });
    expect(run.results[3]).toMatchObject({ properties: { commit: 'c'.repeat(40) } });
    expect(run.results[3].message.text).toContain('commit cccccccccccc');
  });

  it('fingerprints each result with the SHA-256 of its secret and never holds a secret', () => {
    const text = JSON.stringify(log);
    for (const s of [plain, escaped, legacyish, encodeURIComponent(escaped)]) expect(text).not.toContain(s);
    expect(log.runs[0].results[0].partialFingerprints).toEqual({ [FINGERPRINT_KEY]: fingerprint(plain) });
    expect(log.runs[0].results[3].partialFingerprints).toEqual(log.runs[0].results[0].partialFingerprints);
    expect(log.runs[0].results[0].message.text).toContain(`${plain.slice(0, 8)}…`);
  });

  it('is valid with no findings at all', () => {
    const empty = toSarif([], { version: '0.1.0' }) as any;
    expect(validate(empty)).toBe(true);
    expect(empty.runs[0].results).toEqual([]);
  });

  it('turns paths into relative URI references', () => {
    expect(relativeUri(join(base, 'a b', 'c%d.txt'), base)).toBe('a%20b/c%25d.txt');
    expect(relativeUri('src/x.ts', base)).toBe('src/x.ts');
  });
});
