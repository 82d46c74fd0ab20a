import { platformOptionsFromEnv, startPlatform } from './platform.js';

/**
 * `npm start`: the whole request path on this machine, no Docker, no AWS. Settings come from the
 * environment variables documented in README ("Local platform"). Ctrl-C stops everything cleanly.
 */
const options = platformOptionsFromEnv();
const platform = await startPlatform(options).catch((err: unknown) => {
  console.error(`local platform failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

const dispatch = (intent: string, id: string) =>
  `curl -s -X POST ${platform.orbitUrl}/dispatch -H 'content-type: application/json' -H 'x-correlation-id: ${id}' -d '{"intent":"${intent}","payload":{"text":"hello"}}'`;

console.log(`
Local platform is up (Ctrl-C stops it)
  Orbit        ${platform.orbitUrl}   POST /dispatch, GET /health
  Axon         ${platform.axonUrl}   POST /reason (SigV4, service "axon", region ${options.region}), GET /health
  Lambda       ${platform.lambdaUrl}   Invoke API, function ${'axon-orbit-local-governance'} (lambdas/governance/handler.ts)
  DynamoDB     ${platform.dynamoUrl}   dynalite, table axon-orbit-local-policies seeded from governance/policies/default.json
  Signing key  id ${platform.keyId}, secrets in ${options.secretsDir}

Allowed (200, answered by Axon):
  ${dispatch('reason:summarize', 'demo-allowed-0001')}
Denied (403 problem+json with the governance reason):
  ${dispatch('admin:delete-everything', 'demo-denied-0001')}
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
