import { join } from 'node:path';
import { PORT_VARIABLES, platformOptionsFromEnv } from './options.js';
import { LOCAL_ENVIRONMENT, NAMES, type Platform, startPlatform } from './platform.js';
import { PortInUseError } from './ports.js';

/**
 * `npm start`: the whole request path on this machine, no Docker, no AWS. Settings come from the
 * environment variables documented in README ("Local platform"). Ctrl-C stops everything cleanly.
 */
function fail(message: string): never {
  console.error(`local platform failed to start: ${message}`);
  process.exit(1);
}

/** One line a newcomer can act on: which port, whose, and which variable picks another. */
function portAdvice(error: PortInUseError): string {
  const ports = error.busy.map((c) => `${c.port} (${c.component}, ${PORT_VARIABLES[c.component]})`);
  return `port ${ports.join(', ')} already in use; set the variable to a free port, or 0 for any free port, e.g. ${PORT_VARIABLES[error.busy[0]?.component ?? 'orbit']}=0 npm start`;
}

let options: ReturnType<typeof platformOptionsFromEnv>;
try {
  options = platformOptionsFromEnv();
} catch (error) {
  fail((error as Error).message);
}
const platform: Platform = await startPlatform(options).catch((error: unknown) =>
  fail(error instanceof PortInUseError ? portAdvice(error) : String((error as Error)?.message ?? error)),
);

const caller = (name: string) => platform.issuer.callers.find((c) => c.name === name);
/** A client-credentials token request, as any OAuth2 client sends it: with its client id, not its name. */
const tokenFor = (name: string) =>
  `curl -s -u ${caller(name)?.clientId}:${caller(name)?.clientSecret} -d grant_type=client_credentials ${platform.issuer.tokenUrl} | sed -E 's/.*"access_token":"([^"]+)".*/\\1/'`;
const dispatch = (intent: string, id: string, auth = '-H "authorization: Bearer $TOKEN" ') =>
  `curl -s -X POST ${platform.orbitUrl}/dispatch ${auth}-H 'content-type: application/json' -H 'x-correlation-id: ${id}' -d '{"intent":"${intent}","payload":{"text":"hello"}}'`;

console.log(`
Local platform is up (Ctrl-C stops it)
  Orbit        ${platform.orbitUrl}   POST /dispatch, GET /health
  Axon         ${platform.axonUrl}   POST /reason (SigV4, service "axon", region ${options.region}), GET /health
  Lambda       ${platform.lambdaUrl}   Invoke API, function ${NAMES.functionName} (environment ${LOCAL_ENVIRONMENT}, policy cache ${options.policyCacheTtlMs} ms)
  DynamoDB     ${platform.dynamoUrl}   dynalite, table ${NAMES.tableName}, policy set ${options.policySet} seeded from governance/policies/default.json
  Signing key  id ${platform.keyId}, in ${join(options.secretsDir, `${NAMES.signingSecretId}.json`)}:
               the AWSCURRENT version's secretString, JSON field "signingKey" (base64 text, used as is as the SigV4 secret)
  Decisions    ${options.decisionLog ? `appended to ${options.decisionLog}; replay them against a candidate:\n               npx governance impact <candidate.json> --decisions ${options.decisionLog} --endpoint ${platform.dynamoUrl} --table ${NAMES.tableName}` : 'not recorded (LOCAL_DECISION_LOG=off)'}

  Issuer       ${platform.issuer.url}   OAuth2 client credentials (${platform.issuer.tokenUrl}), JWKS, callers from local/callers.json
               (tokens carry each caller's client id; Orbit names the caller through CALLER_NAMES,
               and the default policy lets Orbit dispatch only for the caller names its statements list)

Fetch a token as caller demo-app, then dispatch with it (200, answered by Axon):
  TOKEN=$(${tokenFor('demo-app')})
  ${dispatch('reason:summarize', 'demo-allowed-0001')}
Denied (403 problem+json with the governance reason):
  ${dispatch('admin:delete-everything', 'demo-denied-0001')}
No token (401 problem+json, WWW-Authenticate: Bearer):
  ${dispatch('reason:summarize', 'demo-no-token-01', '')}
A caller the policy denies by name (403 naming statement suspended-callers):
  TOKEN=$(${tokenFor('suspended-app')}) && ${dispatch('reason:summarize', 'demo-suspended-1')}
A burst over the caller's limit (429 with Retry-After after 100; RATE_LIMITS sets it):
  TOKEN=$(${tokenFor('demo-app')}) && for i in $(seq 120); do ${dispatch('reason:burst', 'demo-burst-0001')} -o /dev/null -w '%{http_code} '; done
`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: draining Orbit and Axon, then stopping the Lambda endpoint and dynalite...`);
  const codes = await platform.stop();
  console.log(`stopped (orbit exit ${codes.orbit}, axon exit ${codes.axon})`);
  process.exit(codes.orbit === 0 && codes.axon === 0 ? 0 : 1);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
