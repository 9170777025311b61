import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import AjvModule, { type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Validates response bodies against Confluent's published OpenAPI specs. The specs are read
 * from ../shared/reference/confluent-openapi beside the repository (KEYPLANE_OPENAPI_DIR
 * overrides); a response of a path and method those specs describe must validate against the
 * schema of its status, and a status the spec does not list fails.
 */
const repoRoot = resolve(import.meta.dirname, '..', '..');
export const specDir = process.env.KEYPLANE_OPENAPI_DIR ?? resolve(repoRoot, '..', 'shared', 'reference', 'confluent-openapi');

interface SpecOperation {
  specId: string;
  template: string;
  regex: RegExp;
  method: string;
  statuses: Set<string>;
}

// Both packages are CommonJS with a `default` export; under NodeNext the class sits on `.default`.
export const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
// Confluent's patterns are written for Go's regexp (e.g. `\"`), not for unicode-mode JavaScript.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, unicodeRegExp: false });
addFormats(ajv);

const operations: SpecOperation[] = [];
const compiled = new Map<string, ValidateFunction>();

function pointerEscape(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * OpenAPI 3.0 lets `nullable: true` stand without `type` (inside an `allOf`), which JSON Schema
 * cannot express; dropping it there only makes validation stricter (null is then refused).
 */
function normalise(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) normalise(item);
  } else if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    if (obj.nullable === true && obj.type === undefined) delete obj.nullable;
    for (const value of Object.values(obj)) normalise(value);
  }
}

/**
 * Whether the specs can be read. Without them the schema checks are skipped with a printed
 * reason, unless KEYPLANE_REQUIRE_SPECS is set (CI sets it), which makes their absence a failure.
 */
export const specsAvailable = existsSync(specDir);
let warned = false;

function load(): boolean {
  if (operations.length) return true;
  if (!specsAvailable) {
    const reason = `Confluent OpenAPI specs not found at ${specDir} (set KEYPLANE_OPENAPI_DIR)`;
    if (process.env.KEYPLANE_REQUIRE_SPECS) throw new Error(reason);
    if (!warned) console.warn(`SKIPPED response schema checks: ${reason}`);
    warned = true;
    return false;
  }
  for (const file of readdirSync(specDir).filter((f) => f.endsWith('.yaml'))) {
    const specId = `spec:${file}`;
    const doc = parse(readFileSync(join(specDir, file), 'utf8')) as {
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    };
    normalise(doc);
    ajv.addSchema(doc as object, specId);
    for (const [template, methods] of Object.entries(doc.paths)) {
      const regex = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const [method, op] of Object.entries(methods)) {
        if (!op?.responses) continue;
        operations.push({ specId, template, regex, method, statuses: new Set(Object.keys(op.responses)) });
      }
    }
  }
  return true;
}

/** The spec operation for a request, or undefined when no Confluent spec covers the path. */
export function findSpecOperation(method: string, path: string): SpecOperation | undefined {
  if (!load()) return undefined;
  const bare = path.split('?')[0]!;
  const m = method.toLowerCase();
  // A literal template beats one with a parameter (`/scopes` vs `/{id}`): prefer fewer braces.
  return operations
    .filter((op) => op.method === m && op.regex.test(bare))
    .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0))[0];
}

export interface SpecCheck {
  covered: boolean;
  errors: string[];
}

/** Checks a JSON body against the spec's schema for that operation and status. */
export function checkAgainstSpec(method: string, path: string, status: number, body: unknown): SpecCheck {
  const op = findSpecOperation(method, path);
  if (!op) return { covered: false, errors: [] };
  const key = String(status);
  if (!op.statuses.has(key)) {
    const fallback = op.statuses.has('default') ? 'default' : undefined;
    if (!fallback) return { covered: true, errors: [`status ${status} is not documented for ${method.toUpperCase()} ${op.template}`] };
  }
  const documented = op.statuses.has(key) ? key : 'default';
  if (body === undefined || body === null) return { covered: true, errors: [] };
  const ref = `${op.specId}#/paths/${pointerEscape(op.template)}/${op.method}/responses/${documented}`;
  const cacheKey = `${ref}`;
  let validate = compiled.get(cacheKey);
  if (!validate) {
    const response = ajv.getSchema(ref)?.schema as { $ref?: string; content?: Record<string, { schema?: unknown }> } | undefined;
    let schemaRef = `${ref}/content/application~1json/schema`;
    if (response?.$ref) {
      // Shared responses live under components/responses.
      schemaRef = `${op.specId}${response.$ref}/content/application~1json/schema`;
    }
    const schema = ajv.getSchema(schemaRef);
    if (!schema) {
      return { covered: true, errors: [] };
    }
    validate = schema;
    compiled.set(cacheKey, validate);
  }
  const ok = validate(body);
  const failed = validate;
  return {
    covered: true,
    errors: ok ? [] : (failed.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} (${e.schemaPath})`),
  };
}
