import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Emitter } from '../../contracts/metrics.js';

/** The decision function's name in logs, traces and the `Service` metric dimension. */
export const GOVERNANCE_SERVICE: Emitter = 'governance';

/** One logger and one tracer per process, shared by the handler and the clients it wires. */
export const logger = new Logger({ serviceName: GOVERNANCE_SERVICE });
export const tracer = new Tracer({ serviceName: GOVERNANCE_SERVICE });
