import { existsSync, readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { CostInputError } from './errors.js';

/**
 * What the templates cannot say: how much traffic, logging and data an environment sees in a month.
 * Defaults per environment live in `scripts/cost/usage/<env>.json`; `--usage <file>` overrides any
 * subset of them (a `functions`/`tables` entry replaces the default entry of that name).
 */

/** Usage of the Lambda functions whose name ends with the key (`*`: every other function). */
export interface FunctionUsage {
  readonly invocationsPerMonth?: number;
  /** Invocations per request through the ALB (e.g. governance decisions that miss Orbit's cache). */
  readonly invocationsPerRequest?: number;
  readonly durationMs: number;
  readonly logBytesPerInvocation: number;
}

/** Usage of the DynamoDB tables whose name ends with the key (`*`: every other table). */
export interface TableUsage {
  readonly readsPerMonth?: number;
  readonly readsPerRequest?: number;
  readonly writesPerMonth?: number;
  readonly writesPerRequest?: number;
  readonly storageGb: number;
}

export interface Usage {
  readonly requestsPerMonth: number;
  readonly payloadBytes: number;
  readonly newConnectionsPerRequest: number;
  readonly logBytesPerRequest: number;
  readonly scaleOutShare: number;
  readonly natGbPerMonth: number;
  readonly endpointGbPerMonth: number;
  readonly flowLogGbPerMonth: number;
  readonly logCompression: number;
  readonly insightsQueriesPerMonth: number;
  readonly insightsHoursPerQuery: number;
  readonly kmsRequestsPerSymmetricKey: number;
  readonly kmsSignsPerRequest: number;
  readonly secretsApiCallsPerSecret: number;
  readonly ecrGbPerRepository: number;
  readonly albLogBytesPerRequest: number;
  readonly archiveCompression: number;
  readonly cognitoTokenRequestsPerMonth: number;
  readonly privateCaCertificatesPerMonth: number;
  readonly alarmNotificationsPerMonth: number;
  readonly functions: Readonly<Record<string, FunctionUsage>>;
  readonly tables: Readonly<Record<string, TableUsage>>;
}

type ScalarField = Exclude<keyof Usage, 'functions' | 'tables'>;

/** Each scalar field: what it means and its allowed range (the schema and the docs read this). */
export const USAGE_FIELDS: Readonly<Record<ScalarField, { description: string; max?: number }>> = {
  requestsPerMonth: { description: 'requests callers send through the ALB to Orbit per month' },
  payloadBytes: { description: 'average request + response bytes per request (ALB processed bytes)' },
  newConnectionsPerRequest: { description: 'new ALB connections per request (1 = no keep-alive)', max: 1 },
  logBytesPerRequest: { description: 'log bytes each ECS service writes per request (its log group)' },
  scaleOutShare: {
    description: 'where the average task count sits between min (0) and max (1) tasks over the month',
    max: 1,
  },
  natGbPerMonth: { description: 'GB through the NAT gateways per month (internet egress, public images)' },
  endpointGbPerMonth: { description: 'GB through the interface endpoints per month (ECR, logs, KMS, …)' },
  flowLogGbPerMonth: { description: 'VPC flow log GB delivered to CloudWatch Logs per month' },
  logCompression: { description: 'stored (compressed) bytes per ingested byte of CloudWatch Logs', max: 1 },
  insightsQueriesPerMonth: { description: 'runs of each saved Logs Insights query per month' },
  insightsHoursPerQuery: { description: 'hours of its log groups each Logs Insights run scans' },
  kmsRequestsPerSymmetricKey: {
    description: 'requests per symmetric KMS key per month (data keys, decrypts)',
  },
  kmsSignsPerRequest: { description: 'operations on each asymmetric KMS key per request (decision tokens)' },
  secretsApiCallsPerSecret: { description: 'Secrets Manager API calls per secret per month' },
  ecrGbPerRepository: { description: 'GB stored per ECR repository (images kept for rollback)' },
  albLogBytesPerRequest: { description: 'ALB access log bytes per request (stored in S3, gzip)' },
  archiveCompression: { description: 'S3 bytes per byte Firehose ingests (GZIP)', max: 1 },
  cognitoTokenRequestsPerMonth: { description: 'M2M token requests per month (callers cache tokens)' },
  privateCaCertificatesPerMonth: { description: 'certificates each Private CA issues per month' },
  alarmNotificationsPerMonth: { description: 'alarm notifications published per topic per month' },
};

const number = (max?: number) => ({
  type: 'number',
  minimum: 0,
  ...(max === undefined ? {} : { maximum: max }),
});

const functionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['durationMs', 'logBytesPerInvocation'],
  properties: {
    invocationsPerMonth: number(),
    invocationsPerRequest: number(),
    durationMs: number(900_000),
    logBytesPerInvocation: number(),
  },
};

const tableSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['storageGb'],
  properties: {
    readsPerMonth: number(),
    readsPerRequest: number(),
    writesPerMonth: number(),
    writesPerRequest: number(),
    storageGb: number(),
  },
};

const usageSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...Object.fromEntries(Object.entries(USAGE_FIELDS).map(([field, spec]) => [field, number(spec.max)])),
    functions: { type: 'object', additionalProperties: functionSchema },
    tables: { type: 'object', additionalProperties: tableSchema },
  },
};

const validateUsageFile = new Ajv({ allErrors: true, strict: true }).compile(usageSchema);

function describe(error: ErrorObject): string {
  const path = error.instancePath.slice(1).replaceAll('/', '.');
  const field = path || 'the usage file';
  switch (error.keyword) {
    case 'additionalProperties': {
      const schema = error.schemaPath.includes('/functions/')
        ? functionSchema
        : error.schemaPath.includes('/tables/')
          ? tableSchema
          : usageSchema;
      const extra = `${path ? `${path}.` : ''}${String(error.params.additionalProperty)}`;
      return `${extra} is not a usage field (allowed: ${Object.keys(schema.properties).join(', ')})`;
    }
    case 'required':
      return `${field} needs ${String(error.params.missingProperty)}`;
    case 'type':
      return `${field} must be ${error.params.type === 'object' ? 'an object' : 'a number'}`;
    case 'minimum':
      return `${field} must be ≥ 0`;
    case 'maximum':
      return `${field} must be between 0 and ${String(error.params.limit)}`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}

/** Checks a parsed usage file (any subset of the fields); throws one line naming every bad field. */
export function parseUsageOverrides(raw: unknown, source: string): Partial<Usage> {
  if (!validateUsageFile(raw)) {
    const problems = [...new Set((validateUsageFile.errors ?? []).map(describe))];
    throw new CostInputError(`usage file ${source}: ${problems.join('; ')}`);
  }
  return raw as Partial<Usage>;
}

export function mergeUsage(defaults: Usage, overrides: Partial<Usage>): Usage {
  return {
    ...defaults,
    ...overrides,
    functions: { ...defaults.functions, ...overrides.functions },
    tables: { ...defaults.tables, ...overrides.tables },
  };
}

export function defaultUsage(env: string): Usage {
  const file = new URL(`./usage/${env}.json`, import.meta.url);
  if (!existsSync(file))
    throw new CostInputError(`no default usage for environment ${env} (scripts/cost/usage/)`);
  const usage = parseUsageOverrides(JSON.parse(readFileSync(file, 'utf8')) as unknown, `usage/${env}.json`);
  const missing = [...Object.keys(USAGE_FIELDS), 'functions', 'tables'].filter((field) => !(field in usage));
  if (missing.length > 0) throw new CostInputError(`usage/${env}.json: missing ${missing.join(', ')}`);
  return usage as Usage;
}

/** The environment's defaults with the user's usage file (if any) on top. */
export function loadUsage(env: string, usageFile?: string): Usage {
  const defaults = defaultUsage(env);
  if (usageFile === undefined) return defaults;
  if (!existsSync(usageFile)) throw new CostInputError(`usage file ${usageFile} does not exist`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(usageFile, 'utf8'));
  } catch (error) {
    throw new CostInputError(`usage file ${usageFile} is not JSON: ${(error as Error).message}`);
  }
  return mergeUsage(defaults, parseUsageOverrides(raw, usageFile));
}

/** The usage entry for a named function or table: the longest key its name ends with, else `*`. */
export function entryFor<T>(entries: Readonly<Record<string, T>>, name: string | undefined): T | undefined {
  const keys = Object.keys(entries)
    .filter((key) => key !== '*' && name?.endsWith(key))
    .sort((a, b) => b.length - a.length);
  const key = keys[0] ?? '*';
  return entries[key];
}
