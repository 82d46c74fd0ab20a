import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { exceedsJsonDepth, jsonDepthProblem, MAX_JSON_DEPTH } from '../../../contracts/json-depth.js';
import { type Emitter, METRIC_NAMESPACE, METRICS } from '../../../contracts/metrics.js';
import type { Environment } from '../engine/index.js';
import { AdminError } from './errors.js';
import type { AdminRequest, AdminService } from './service.js';

/** The parts of a Lambda function URL event (payload format 2.0) the admin handler reads. */
export interface FunctionUrlEvent {
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly rawPath?: string;
  readonly requestContext?: {
    readonly http?: { readonly method?: string };
    /** Present when the function URL uses `AWS_IAM` auth: the SigV4-verified caller. */
    readonly authorizer?: { readonly iam?: { readonly userArn?: string } };
    readonly requestId?: string;
  };
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Bodies carry a policy (≤ 256 KB) and its tests; anything bigger is not a real request. */
export const MAX_BODY_BYTES = 1024 * 1024;

const EMITTER: Emitter = 'governance-admin';
const ADMIN_METRICS = METRICS[EMITTER];
const logger = new Logger({ serviceName: EMITTER });

function json(statusCode: number, body: unknown, problem = false): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': problem ? 'application/problem+json' : 'application/json' },
    body: JSON.stringify(body),
  };
}

function problem(error: AdminError): HttpResponse {
  return json(error.status, error.toProblem(), true);
}

function parseBody(event: FunctionUrlEvent): AdminRequest {
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw new AdminError('bad-request', `the request body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AdminError('bad-request', 'the body must be a JSON object such as {"operation":"get"}');
  }
  if (exceedsJsonDepth(value)) {
    throw new AdminError('bad-request', jsonDepthProblem('the body'), { maxDepth: MAX_JSON_DEPTH });
  }
  return value as AdminRequest;
}

/**
 * The admin API over a function URL: `POST /` with `{"operation": ..., ...}`. The caller is the IAM
 * principal the URL's `AWS_IAM` auth verified; without one, nothing runs. Caller mistakes come back
 * as RFC 9457 problems; an unexpected failure is logged, counted (`AdminErrors`) and rethrown, so it
 * is a Lambda error the admin alarm sees and the caller gets a bare 502.
 */
export function createAdminHandler(service: AdminService, environment: Environment) {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE });
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ Service: EMITTER, Environment: environment });

  return async (event: FunctionUrlEvent): Promise<HttpResponse> => {
    const requestId = event.requestContext?.requestId ?? randomUUID();
    const caller = event.requestContext?.authorizer?.iam?.userArn;
    let operation: unknown;
    try {
      if (!caller) {
        throw new AdminError(
          'forbidden',
          'no IAM caller: call the admin function URL with SigV4 (AWS_IAM auth)',
        );
      }
      if (event.requestContext?.http?.method !== 'POST' || (event.rawPath ?? '/') !== '/') {
        throw new AdminError('bad-request', 'send POST / with a JSON body {"operation": ...}');
      }
      const request = parseBody(event);
      operation = request.operation;
      const result = await service.execute(caller, request);
      logger.info('admin operation', { requestId, caller, operation, outcome: 'ok' });
      metrics.addMetric(ADMIN_METRICS.requests.name, MetricUnit.Count, 1);
      return json(200, result);
    } catch (error) {
      if (error instanceof AdminError) {
        logger.warn('admin operation rejected', {
          requestId,
          caller,
          operation,
          outcome: error.code,
          detail: error.message,
        });
        metrics.addMetric(ADMIN_METRICS.rejected.name, MetricUnit.Count, 1);
        return problem(error);
      }
      logger.error('admin operation failed', { requestId, caller, operation, error: error as Error });
      metrics.addMetric(ADMIN_METRICS.errors.name, MetricUnit.Count, 1);
      // A Lambda error, so the function's Errors metric (which the admin alarm watches) counts it; the
      // function URL answers 502 without any detail.
      throw new Error(`admin operation ${String(operation)} failed (request ${requestId})`, { cause: error });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
