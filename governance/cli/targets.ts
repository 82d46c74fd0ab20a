import { Sha256 } from '@aws-crypto/sha256-js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetFunctionUrlConfigCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AdminError, type AdminErrorCode } from '../../lambdas/governance/admin/errors.js';
import type { ImpactGate } from '../../lambdas/governance/admin/impact-gate.js';
import { RoleStore } from '../../lambdas/governance/admin/role-store.js';
import { type AdminRequest, AdminService } from '../../lambdas/governance/admin/service.js';
import { ENVIRONMENTS, type Environment } from '../../lambdas/governance/engine/index.js';
import { type RevisionSource, storeRevisions } from '../../lambdas/governance/impact/index.js';
import { PolicyStore } from '../../lambdas/governance/store/index.js';

/** Where the CLI sends admin operations: the table itself, or the admin function's URL. */
export interface Target {
  readonly description: string;
  /**
   * The environment whose decision function reads these policies: `local` for a local endpoint, else
   * the one its deployed name (`axon-orbit-<env>-...`) carries; undefined when neither tells.
   */
  readonly environment: Environment | undefined;
  execute(request: AdminRequest): Promise<unknown>;
  close(): void;
}

/** The environment a deployed resource's name carries (`axon-orbit-dev-governance-policies` → dev). */
export function environmentOfName(name: string | undefined): Environment | undefined {
  return ENVIRONMENTS.find((env) => name?.startsWith(`axon-orbit-${env}-`));
}

export interface TableTargetOptions {
  readonly tableName: string;
  /** A DynamoDB-compatible endpoint (the local platform's dynalite); AWS when absent. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Recorded as the author of revisions. */
  readonly actor: string;
  /** Gates puts on the impact of the candidate, with the revisions read from this table. */
  readonly impact?: (revisions: RevisionSource) => ImpactGate;
}

/** The environment a table target serves: `local` behind a local endpoint, else what its name says. */
export function tableEnvironment(
  options: Pick<TableTargetOptions, 'tableName' | 'endpoint'>,
): Environment | undefined {
  return options.endpoint ? 'local' : environmentOfName(options.tableName);
}

/**
 * Direct table access: the operator's own credentials decide what they may do (IAM on the table),
 * so the admin role mapping is not consulted. Against a local endpoint no credentials are needed.
 */
export function tableTarget(options: TableTargetOptions): Target {
  const client = new DynamoDBClient({
    region: options.region ?? process.env.AWS_REGION ?? 'eu-west-1',
    maxAttempts: 2,
    ...(options.endpoint
      ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  const store = new PolicyStore({ client, tableName: options.tableName });
  const service = new AdminService({
    store,
    roles: new RoleStore(client, options.tableName),
    configuredRoles: { admins: [], editors: [], viewers: [] },
    directAccess: true,
    impact: options.impact?.(storeRevisions(store)),
  });
  const where = options.endpoint
    ? `${options.endpoint}`
    : `AWS ${options.region ?? process.env.AWS_REGION ?? ''}`;
  return {
    description: `table ${options.tableName} at ${where}`,
    environment: tableEnvironment(options),
    async execute(request) {
      try {
        return await service.execute(options.actor, request);
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') {
          throw new AdminError('not-found', `table ${options.tableName} does not exist at ${where}`, {
            table: options.tableName,
          });
        }
        throw error;
      }
    },
    close: () => client.destroy(),
  };
}

export interface FunctionTargetOptions {
  /** The admin function's name; its URL is looked up. */
  readonly functionName?: string;
  /** The function URL itself, when known. */
  readonly url?: string;
  readonly region?: string;
}

/**
 * The admin function behind its `AWS_IAM` function URL: requests are SigV4-signed (service
 * `lambda`) with the default credential chain, so the handler sees the operator's principal and
 * applies the role mapping.
 */
export function functionTarget(options: FunctionTargetOptions): Target {
  const region = options.region ?? process.env.AWS_REGION ?? 'eu-west-1';
  const lambda = new LambdaClient({ region, maxAttempts: 2 });
  let url: Promise<string> | undefined;
  const resolveUrl = async (): Promise<string> => {
    if (options.url) return options.url;
    const config = await lambda
      .send(new GetFunctionUrlConfigCommand({ FunctionName: options.functionName }))
      .catch((error: Error) => {
        if (error.name !== 'ResourceNotFoundException') throw error;
        throw new AdminError(
          'not-found',
          `function ${options.functionName} (or its URL) does not exist in ${region}`,
        );
      });
    if (!config.FunctionUrl) throw new Error(`function ${options.functionName} has no function URL`);
    return config.FunctionUrl;
  };
  return {
    description: options.url ? `admin function URL ${options.url}` : `admin function ${options.functionName}`,
    environment: environmentOfName(options.functionName),
    async execute(request) {
      url ??= resolveUrl();
      const target = new URL(await url);
      const body = JSON.stringify(request);
      const signer = new SignatureV4({
        service: 'lambda',
        region,
        credentials: lambda.config.credentials,
        sha256: Sha256,
      });
      const signed = await signer.sign(
        new HttpRequest({
          method: 'POST',
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port ? Number(target.port) : undefined,
          path: target.pathname,
          headers: { host: target.host, 'content-type': 'application/json' },
          body,
        }),
      );
      const response = await fetch(target, { method: 'POST', headers: signed.headers, body });
      const payload = jsonObjectOf(await response.text());
      if (response.ok && payload) return payload;
      // A problem document says what failed, a 503 from the handler included (e.g. Logs Insights).
      if (payload && typeof payload.type === 'string') throw problemToError(response.status, payload);
      if (response.status >= 500) {
        throw new Error(`the admin function failed (HTTP ${response.status}); its log group has the details`);
      }
      throw new Error(`the admin function answered ${response.status} with a body that is not JSON`);
    },
    close: () => lambda.destroy(),
  };
}

function jsonObjectOf(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Turns the handler's problem document back into the error the CLI reports (and its exit code). */
function problemToError(status: number, problem: Record<string, unknown>): Error {
  const code = String(problem.type ?? '').replace('urn:axon-orbit:governance-admin:', '');
  const detail = String(problem.detail ?? problem.title ?? `HTTP ${status}`);
  const { type: _t, title: _ti, status: _s, detail: _d, ...details } = problem;
  if (status === 403 && !problem.type) {
    return new AdminError(
      'forbidden',
      `the function URL refused the request (check your AWS credentials): ${detail}`,
    );
  }
  const known: readonly string[] = [
    'bad-request',
    'invalid-policy',
    'tests-failed',
    'impact-exceeded',
    'forbidden',
    'not-found',
    'conflict',
    'unavailable',
  ];
  if (known.includes(code)) return new AdminError(code as AdminErrorCode, detail, details);
  return new Error(
    `the admin function failed (HTTP ${status}${problem.requestId ? `, request ${problem.requestId}` : ''})`,
  );
}
