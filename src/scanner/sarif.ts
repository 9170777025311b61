import { isAbsolute, relative, sep } from 'node:path';
import { SECRET_LENGTH } from '../domain/secret.js';
import { fingerprint } from './baseline.js';
import type { SecretFinding } from './find-secrets.js';

/**
 * Findings as a SARIF 2.1.0 log, for code-scanning dashboards (GitHub code scanning, GitLab,
 * IDE viewers). A result never holds the secret: its message shows the masked form and its
 * partial fingerprint is the secret's SHA-256, which keeps a finding's identity stable across
 * runs while the line it stands on moves.
 */

export type SarifFinding = SecretFinding & {
  /** Where it was found: a path (absolute, or relative to the working directory) or a path in a repository for git findings. */
  file: string;
  /** The secret in full: needed for the fingerprint, never written out. */
  secret: string;
  /** For findings in git history: the commit that added the line. */
  commit?: string;
  /** What the server answered about the secret, after `--report` or `--verify`. */
  status?: string;
};

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const FINGERPRINT_KEY = 'keyplaneSecretSha256/v1';

export const RULES = [
  {
    id: 'keyplane/checksummed-secret',
    name: 'KeyplaneApiSecret',
    shortDescription: { text: 'Keyplane API secret (checksum valid)' },
    fullDescription: {
      text: 'A cflt API secret whose CRC-32 checksum validates: almost certainly a real secret. Revoke or rotate the key, then remove the secret from the file and from history.',
    },
    help: {
      text: 'Rotate the key ("keyplane api-key rotate <key>" or delete it), then remove the secret from the code; a secret that reached a shared repository must be treated as leaked even after it is deleted. "keyplane scan --verify" tells whether it is still live.',
    },
    defaultConfiguration: { level: 'error' },
    properties: { tags: ['security', 'secret'], precision: 'very-high', 'security-severity': '9.0' },
  },
  {
    id: 'keyplane/legacy-secret',
    name: 'KeyplaneLegacySecret',
    shortDescription: { text: 'Possible legacy Keyplane API secret' },
    fullDescription: {
      text: 'A 64-character secret without the cflt prefix, standing next to an API key id or a secret-like name. Legacy secrets carry no checksum, so this may be another kind of token.',
    },
    help: { text: 'Check whether this is a Keyplane secret ("keyplane scan --verify"); if it is, rotate the key and remove the secret from the code.' },
    defaultConfiguration: { level: 'warning' },
    properties: { tags: ['security', 'secret'], precision: 'medium', 'security-severity': '7.0' },
  },
] as const;

export interface SarifOptions {
  /** The scanner's version, for tool.driver.version. */
  version: string;
  /** Relative file paths are resolved against this directory (default: the working directory). */
  baseDirectory?: string;
}

/** A path as a relative URI reference: `/` separators, each segment percent-encoded. */
export function relativeUri(file: string, baseDirectory: string): string {
  const path = isAbsolute(file) ? relative(baseDirectory, file) : file;
  return path
    .split(sep)
    .join('/')
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

function messageOf(finding: SarifFinding): string {
  const what = finding.confidence === 'high' ? 'Keyplane API secret' : 'Possible legacy Keyplane API secret';
  const how = finding.encoding === 'plain' ? '' : ` (${finding.encoding}-encoded)`;
  const key = finding.keyId ? ` next to API key ${finding.keyId}` : '';
  const commit = finding.commit ? `, added in commit ${finding.commit.slice(0, 12)}` : '';
  return `${what} ${finding.masked}${how}${key}${commit}.`;
}

export function toSarif(findings: readonly SarifFinding[], options: SarifOptions): object {
  const base = options.baseDirectory ?? process.cwd();
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'keyplane',
            semanticVersion: options.version,
            version: options.version,
            rules: RULES,
          },
        },
        columnKind: 'utf16CodeUnits',
        results: findings.map((finding) => {
          const ruleIndex = finding.confidence === 'high' ? 0 : 1;
          return {
            ruleId: RULES[ruleIndex].id,
            ruleIndex,
            level: RULES[ruleIndex].defaultConfiguration.level,
            message: { text: messageOf(finding) },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: relativeUri(finding.file, base) },
                  region: {
                    startLine: finding.line,
                    startColumn: finding.column,
                    // Only a plainly written secret is known to span exactly its own length in the file.
                    ...(finding.encoding === 'plain' ? { endLine: finding.line, endColumn: finding.column + SECRET_LENGTH } : {}),
                  },
                },
              },
            ],
            partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(finding.secret) },
            properties: {
              confidence: finding.confidence,
              encoding: finding.encoding,
              ...(finding.keyId ? { keyId: finding.keyId } : {}),
              ...(finding.commit ? { commit: finding.commit } : {}),
              ...(finding.status ? { status: finding.status } : {}),
            },
          };
        }),
      },
    ],
  };
}
