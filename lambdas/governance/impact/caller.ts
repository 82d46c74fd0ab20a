import type { DecisionRequest } from '../../../contracts/decision.js';

/**
 * Who asked, as a flip group's label: the calling service, and the verified caller when the event
 * names one, e.g. `orbit` or `orbit: client-a (tenant acme)`.
 */
export function callerLabel(event: DecisionRequest): string {
  if (!event.caller) return event.service;
  const tenant = event.caller.tenant === undefined ? '' : ` (tenant ${event.caller.tenant})`;
  return `${event.service}: ${event.caller.clientId}${tenant}`;
}
