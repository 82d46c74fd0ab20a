/**
 * Who asked, as a group label: the calling service, and the verified caller (client id, tenant)
 * when the recorded input names one, e.g. `orbit` or `orbit: client-a (tenant acme)`.
 */
export function callerOf(input: unknown): string {
  const { service, caller, tenant } = input as { service?: unknown; caller?: unknown; tenant?: unknown };
  const base = String(service);
  let client: unknown = caller;
  let tenantOf: unknown = tenant;
  if (caller !== null && typeof caller === 'object') {
    const c = caller as Record<string, unknown>;
    client = c.clientId ?? c.id ?? c.sub;
    tenantOf = c.tenant ?? tenant;
  }
  const parts: string[] = [];
  if (typeof client === 'string' && client !== '') parts.push(client);
  if (typeof tenantOf === 'string' && tenantOf !== '') parts.push(`(tenant ${tenantOf})`);
  return parts.length === 0 ? base : `${base}: ${parts.join(' ')}`;
}
