import { channel } from 'node:diagnostics_channel';
import type { Environment } from './engine/index.js';

/** The `message` of the decision log line, which tells it apart from the function's other lines. */
export const DECISION_LOG_MESSAGE = 'decision';

/**
 * What the decision function records for each decision, as keys of its one JSON log line (beside
 * Powertools' own: level, timestamp, service, ...): enough to replay the decision later.
 */
export interface DecisionLogRecord {
  readonly message: typeof DECISION_LOG_MESSAGE;
  readonly decisionId: string;
  readonly correlationId?: string;
  /** The verified caller's id, when the event names a well-formed one. */
  readonly caller?: string;
  /** The event as received (bounded: a very large one is recorded as `{ truncated }`). */
  readonly input: unknown;
  /** ISO 8601 UTC: the clock the decision was evaluated at. */
  readonly time: string;
  readonly environment: Environment;
  readonly policySet: string;
  readonly result: {
    readonly allowed: boolean;
    readonly reason: string;
    readonly statementId?: string;
    readonly policyRevision: number | null;
    readonly decisionId: string;
  };
}

/**
 * Every decision record is also published here (a Node diagnostics channel, free when nobody
 * subscribes), so an in-process host such as the local platform can keep its own decision log
 * without parsing the function's stdout.
 */
export const decisionLogChannel = channel('axon-orbit:governance:decision');
