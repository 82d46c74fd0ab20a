import { intentSchema } from '../../contracts/intent.js';

/** JSON schemas both services validate and serialize with: the same intent request, the same health answer. */

/** `{intent, payload?}`: what Orbit accepts on /dispatch and forwards, signed, to Axon's /reason. */
export const intentRequestBody = {
  type: 'object',
  required: ['intent'],
  additionalProperties: false,
  properties: {
    intent: intentSchema,
    payload: { type: 'object' },
  },
} as const;

/** `GET /health`: liveness always 200; `?ready=1` answers 503 until the service's keys are loaded. */
export const healthResponse = {
  type: 'object',
  required: ['status', 'service', 'ready'],
  properties: {
    status: { type: 'string' },
    service: { type: 'string' },
    ready: { type: 'boolean' },
    checks: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;
