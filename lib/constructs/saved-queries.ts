import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRIC_NAMESPACE } from '../../contracts/metrics.js';
import type { ObservedPlatform } from './observed-platform.js';
import { StackSection } from './stack-section.js';

export interface SavedQueriesProps {
  /** Prefixes the saved query names (`<prefix>/<query>`). */
  readonly prefix: string;
  readonly platform: ObservedPlatform;
}

/**
 * Logs Insights queries. Field names follow the services' pino lines (`level` as a label, `msg`,
 * `correlationId`; per request `path`, `statusCode`, `responseTime`) and the governance Powertools
 * lines (`level` "ERROR", `message`, the decision record's `result.allowed` and `result.reason`).
 */
export const QUERIES = {
  errorsByCorrelationId: new logs.QueryString({
    fields: [
      '@timestamp',
      'service',
      'correlationId',
      'coalesce(msg, message) as text',
      'err.message',
      'error.message',
    ],
    filterStatements: ['level in ["error", "fatal", "ERROR", "CRITICAL"]'],
    sort: '@timestamp desc',
    limit: 200,
  }),
  slowestDispatches: new logs.QueryString({
    fields: ['@timestamp', 'correlationId', 'responseTime', 'statusCode'],
    filterStatements: ['msg = "request completed"', 'path = "/dispatch"'],
    sort: 'responseTime desc',
    limit: 50,
  }),
  denialsByReason: new logs.QueryString({
    filterStatements: ['message = "decision"', 'result.allowed = 0'],
    statsStatements: ['count(*) as denials by result.reason'],
    sort: 'denials desc',
  }),
  signatureFailures: new logs.QueryString({
    fields: ['@timestamp', 'correlationId', 'check', 'keyId'],
    filterStatements: ['msg like /signature/'],
    statsStatements: ['count(*) as rejects by check'],
  }),
  breakerTransitions: new logs.QueryString({
    fields: ['@timestamp', 'state', 'msg'],
    filterStatements: ['msg like /axon circuit/'],
    sort: '@timestamp asc',
    limit: 500,
  }),
} as const;

/**
 * The saved Logs Insights queries on-call starts from, and the metric filters that turn log lines
 * into metrics (rotation steps, the services' error lines).
 */
export class SavedQueries extends StackSection {
  constructor(scope: Construct, id: string, props: SavedQueriesProps) {
    super(scope, id);
    const { orbit, axon, governance } = props.platform;
    const all = [orbit.logGroup, axon.logGroup, governance.decisionLogGroup];
    const queries: [string, logs.QueryString, logs.ILogGroup[]][] = [
      ['errors-by-correlation-id', QUERIES.errorsByCorrelationId, all],
      ['slowest-dispatches', QUERIES.slowestDispatches, [orbit.logGroup]],
      ['denials-by-reason', QUERIES.denialsByReason, [governance.decisionLogGroup]],
      ['signature-failures', QUERIES.signatureFailures, [axon.logGroup]],
      ['breaker-transitions', QUERIES.breakerTransitions, [orbit.logGroup]],
    ];
    for (const [name, queryString, logGroups] of queries) {
      new logs.QueryDefinition(this, `Query-${name}`, {
        queryDefinitionName: `${props.prefix}/${name}`,
        queryString,
        logGroups,
      });
    }
    // Rotation events: one per step the rotation function runs (createSecret … finishSecret).
    new logs.MetricFilter(this, 'RotationSteps', {
      logGroup: props.platform.rotationLogGroup,
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', 'rotation step'),
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'RotationSteps',
      dimensions: { Step: '$.step' },
      metricValue: '1',
    });
    for (const [name, service] of [
      ['orbit', orbit],
      ['axon', axon],
    ] as const) {
      new logs.MetricFilter(this, `${name}ErrorLines`, {
        logGroup: service.logGroup,
        filterPattern: logs.FilterPattern.any(
          logs.FilterPattern.stringValue('$.level', '=', 'error'),
          logs.FilterPattern.stringValue('$.level', '=', 'fatal'),
        ),
        metricNamespace: METRIC_NAMESPACE,
        metricName: 'ErrorLogLines',
        dimensions: { Service: '$.service' },
        metricValue: '1',
      });
    }
  }
}
