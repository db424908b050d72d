// The manifest every pkg folder carries as `pkg.json`: identity, how to start and probe the app, what it
// exposes, and how to install it. Validated with a JSON schema plus the checks a schema cannot express.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import semver from 'semver';
import { invalidParams, KrpcError } from '../lib/errors.js';
import { isExactVersion, pkgNameProblem } from './id.js';
import { relativePathProblem } from './safe-path.js';
import type { PkgManifest } from '../api/pkg.js';
export type { PkgManifest };

export const MANIFEST_FILE = 'pkg.json';

export const PLATFORMS_RE = '^(any|(linux|windows|apple)-(amd64|aarch64))$';

const manifestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version', 'start', 'health'],
  properties: {
    name: { type: 'string', maxLength: 64 },
    version: { type: 'string', maxLength: 64 },
    description: { type: 'string', maxLength: 1024, default: '' },
    author: { type: 'string', maxLength: 256 },
    // ours: the app's picture in the library, inline so the signed meta carries it (no extra fetch, no
    // third-party host); only base64 images, which a page shows as an <img> and never runs.
    icon: { type: 'string', maxLength: 16384, pattern: '^data:image/(svg\\+xml|png|webp);base64,[A-Za-z0-9+/]+=*$' },
    deps: { type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 128 }, default: {} },
    start: {
      type: 'object',
      additionalProperties: false,
      required: ['cmd'],
      properties: {
        cmd: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 1024 } },
        env: {
          type: 'object',
          maxProperties: 64,
          propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' },
          additionalProperties: { type: 'string', maxLength: 4096 },
        },
      },
    },
    health: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: {
        path: { type: 'string', pattern: '^/[\\x21-\\x7e]*$', maxLength: 256 },
        timeout_ms: { type: 'integer', minimum: 100, maximum: 600_000 },
      },
    },
    exposes: {
      type: 'object',
      maxProperties: 16,
      propertyNames: { pattern: '^[a-z][a-z0-9_-]{0,31}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['protocol'],
        properties: { protocol: { enum: ['http', 'tcp'] } },
      },
      default: {},
    },
    install: {
      type: 'object',
      additionalProperties: false,
      properties: {
        data_mounts: { type: 'array', maxItems: 32, items: { type: 'string' }, default: [] },
        bind: { enum: ['127.0.0.1', '0.0.0.0', '::1', '::'], default: '127.0.0.1' },
      },
      default: {},
    },
    min_resources: {
      type: 'object',
      additionalProperties: false,
      properties: { memory_mb: { type: 'integer', minimum: 1, maximum: 1_048_576, default: 64 } },
      default: {},
    },
    platform: { type: 'string', pattern: PLATFORMS_RE, default: 'any' },
    include: { type: 'array', maxItems: 1024, items: { type: 'string' } },
  },
} as const;

// Compiled on first use: a node that installs nothing never pays for the generated validator.
let compiled: ValidateFunction | undefined;
const manifestValidator = (): ValidateFunction => (compiled ??= new Ajv({ allErrors: true, strict: false, useDefaults: true }).compile(manifestSchema));

function describeSchemaError(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'the manifest';
  switch (e.keyword) {
    case 'required':
      return `${where === 'the manifest' ? '' : `${where}: `}"${(e.params as { missingProperty: string }).missingProperty}" is required`;
    case 'additionalProperties':
      return `${where} has an unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'enum':
      return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'propertyNames':
      return `${where} has a key that is not allowed (${JSON.stringify((e.params as { propertyName: string }).propertyName)})`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

/** The checks a JSON schema cannot express; returns every problem found. */
function semanticProblems(m: PkgManifest): string[] {
  const problems: string[] = [];
  const nameProblem = pkgNameProblem(m.name);
  if (nameProblem) problems.push(nameProblem);
  if (!isExactVersion(m.version)) problems.push(`version ${JSON.stringify(m.version)} must be an exact semver version like 1.0.0`);
  for (const [dep, range] of Object.entries(m.deps)) {
    const p = pkgNameProblem(dep);
    if (p) problems.push(`deps: ${p}`);
    else if (semver.validRange(range) === null) problems.push(`deps.${dep}: ${JSON.stringify(range)} is not a semver range`);
  }
  if (m.start.cmd[0] === 'node') {
    const script = m.start.cmd[1];
    const p = script === undefined ? 'the script to run is missing' : relativePathProblem(script);
    if (p) problems.push(`start.cmd[1]: ${p}`);
  } else if (m.start.cmd[0].includes('/')) {
    const p = relativePathProblem(m.start.cmd[0]);
    if (p) problems.push(`start.cmd[0]: ${p}`);
  }
  if (m.start.cmd.some((a) => a.includes('\u0000'))) problems.push('start.cmd must not contain NUL characters');
  m.install.data_mounts.forEach((d, i) => {
    const p = relativePathProblem(d);
    if (p) problems.push(`install.data_mounts[${i}]: ${p}`);
  });
  m.include?.forEach((f, i) => {
    const p = relativePathProblem(f);
    if (p) problems.push(`include[${i}]: ${p}`);
  });
  return problems;
}

/** Validates (and fills defaults into a copy of) a parsed manifest; throws INVALID_PARAMS listing what is wrong. */
export function validateManifest(input: unknown, source = MANIFEST_FILE): PkgManifest {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw invalidParams(`${source} must hold a JSON object`);
  const copy = structuredClone(input) as PkgManifest;
  const validateSchema = manifestValidator();
  if (!validateSchema(copy)) {
    const problems = [...new Set((validateSchema.errors ?? []).map(describeSchemaError))];
    throw invalidParams(`${source} is not valid: ${problems.slice(0, 5).join('; ')}`);
  }
  const problems = semanticProblems(copy);
  if (problems.length > 0) throw invalidParams(`${source} is not valid: ${problems.slice(0, 5).join('; ')}`);
  return copy;
}

export async function readManifest(dir: string): Promise<PkgManifest> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KrpcError('NOT_FOUND', `${path} does not exist; a pkg folder needs a ${MANIFEST_FILE} manifest`);
    throw invalidParams(`cannot read ${path} (${code ?? (e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw invalidParams(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  return validateManifest(parsed, path);
}
