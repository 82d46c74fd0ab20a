import { CALLER_NAME_SCHEMA, type CallerIdentity } from '../../contracts/caller.js';
import { exceedsJsonDepth, jsonDepthProblem } from '../../contracts/json-depth.js';
import { ajv, type DecisionRequest, type Environment, formatErrors, requestProblem } from './engine/index.js';

/** The shared contract with Orbit (and anyone else asking governance). */
export interface DecisionEvent {
  readonly service: string;
  /** The verified caller on whose behalf `service` asks; policies match it with `callers`/`tenants`. */
  readonly caller?: CallerIdentity;
  readonly intent: string;
  /** Attributes conditions test; `context.resource` names the resource statements' `resources` match. */
  readonly context?: Readonly<Record<string, unknown>>;
  readonly correlationId?: string;
}

const eventSchema = {
  type: 'object',
  required: ['service', 'intent'],
  properties: {
    service: { type: 'string' },
    caller: {
      type: 'object',
      required: ['clientId'],
      additionalProperties: false,
      properties: {
        clientId: CALLER_NAME_SCHEMA,
        tenant: CALLER_NAME_SCHEMA,
      },
    },
    intent: { type: 'string' },
    context: { type: 'object', maxProperties: 64 },
    correlationId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' },
  },
} as const;
const validateEvent = ajv.compile<DecisionEvent>(eventSchema);

/** The event fields the handler reads; anything else an event carries is passed over. */
export const DECISION_EVENT_FIELDS: readonly string[] = Object.keys(eventSchema.properties);

/**
 * The engine request a decision event asks, evaluated in `environment` at `time`, or why the event
 * cannot be evaluated. The decision handler and the impact replay both go through this one function,
 * so a recorded input is replayed exactly as it was decided.
 */
export function engineRequestOf(
  event: unknown,
  environment: Environment,
  time: number,
): { readonly request: DecisionRequest } | { readonly problem: string } {
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
