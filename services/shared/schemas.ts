import { intentSchema } from '../../contracts/intent.js';

/**
 * `{intent, payload?}`: what Orbit accepts on /dispatch and forwards, signed, to Axon's /reason; both
 * services validate it with this one schema.
 */
export const intentRequestBody = {
  type: 'object',
  required: ['intent'],
  additionalProperties: false,
  properties: {
    intent: intentSchema,
    payload: { type: 'object' },
  },
} as const;
