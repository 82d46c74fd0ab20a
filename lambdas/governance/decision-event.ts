import { type DecisionRequest, decisionRequestSchema } from '../../contracts/decision.js';
import { exceedsJsonDepth, jsonDepthProblem } from '../../contracts/json-depth.js';
import {
  type DecisionRequest as EngineRequest,
  type Environment,
  formatErrors,
  requestProblem,
  type Validator,
} from './engine/index.js';
import * as generated from './engine/request-validator.generated.js';

const validateEvent = generated.validateDecisionRequest as unknown as Validator<DecisionRequest>;

/** The event fields the handler reads; anything else an event carries is passed over. */
export const DECISION_EVENT_FIELDS: readonly string[] = Object.keys(decisionRequestSchema.properties);

/**
 * The engine request a decision event asks, evaluated in `environment` at `time`, or why the event
 * cannot be evaluated. The decision handler and the impact replay both go through this one function,
 * so a recorded input is replayed exactly as it was decided.
 */
export function engineRequestOf(
  event: unknown,
  environment: Environment,
  time: number,
): { readonly request: EngineRequest } | { readonly problem: string } {
  // Before anything recursive (schema validation, logging) walks it.
  if (exceedsJsonDepth(event)) return { problem: jsonDepthProblem('the event') };
  if (!validateEvent(event)) return { problem: formatErrors(validateEvent.errors).join('; ') };
  const resource = event.context?.resource;
  const problem = requestProblem({ principal: event.service, action: event.intent, resource });
  if (problem) return { problem };
  return {
    request: {
      principal: event.service,
      ...(event.caller ? { caller: event.caller.clientId } : {}),
      ...(event.caller?.tenant === undefined ? {} : { tenant: event.caller.tenant }),
      action: event.intent,
      resource: resource as string | undefined,
      environment,
      time,
      attributes: event.context,
    },
  };
}
