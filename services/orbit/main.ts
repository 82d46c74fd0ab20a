import { LambdaClient } from '@aws-sdk/client-lambda';
import { METRIC_NAMESPACE } from '../../contracts/metrics.js';
import { SigningKeyProvider } from '../shared/keys.js';
import { createLogger } from '../shared/logger.js';
import { EmfMetrics } from '../shared/metrics.js';
import { secretSourceFor } from '../shared/secrets.js';
import { exitOnSignals } from '../shared/shutdown.js';
import { propagateTraceOnAwsCalls, Tracing } from '../shared/tracing.js';
import { buildOrbitApp } from './app.js';
import { TokenVerifier } from './auth.js';
import { AxonClient } from './axon-client.js';
import { loadOrbitConfig } from './config.js';
import { GovernanceClient } from './governance.js';
import { CallerRateLimiter } from './rate-limit.js';

const config = loadOrbitConfig(process.env);
const logger = createLogger('orbit', config.logLevel);
const source = secretSourceFor(config);
const keys = new SigningKeyProvider({
  source,
  secretId: config.signingSecretId,
  refreshMs: config.keyRefreshMs,
  logger,
});
const metrics = new EmfMetrics({
  namespace: METRIC_NAMESPACE,
  service: 'orbit',
  environment: config.environment,
  logger,
  flushMs: 60_000,
});
const tracing = Tracing.start({
  serviceName: 'orbit',
  environment: config.environment,
  endpoint: config.tracesEndpoint,
});

try {
  await keys.start();
} catch (err) {
  logger.fatal({ err }, 'could not load the signing key');
  process.exit(1);
}
metrics.start();
// One SDK attempt: the decision cache absorbs blips, and a retry inside the timeout budget would only
// delay the fail-closed answer. The endpoint comes from AWS_ENDPOINT_URL_LAMBDA when set.
const lambda = new LambdaClient({ region: config.region, maxAttempts: 1 });
propagateTraceOnAwsCalls(lambda);
const governance = new GovernanceClient({
  lambda,
  functionName: config.governanceFunctionName,
  timeoutMs: config.governanceTimeoutMs,
  cacheTtlMs: config.governanceCacheTtlMs,
  logger,
});
const axon = new AxonClient({
  baseUrl: config.axonUrl,
  region: config.region,
  keys,
  attemptTimeoutMs: config.axonTimeoutMs,
  retries: config.axonRetries,
  breakerThreshold: config.breakerThreshold,
  halfOpenAfterMs: config.breakerHalfOpenMs,
  logger,
  metrics,
  traced: config.tracesEndpoint !== undefined,
});
const app = buildOrbitApp({
  logger,
  governance,
  axon,
  callers: { tokens: new TokenVerifier(config.auth), limiter: new CallerRateLimiter(config.rateLimits) },
  ready: () => keys.current() !== undefined,
  metrics,
  // Without a collector nothing is recorded: no per-request span hooks to pay for.
  ...(config.tracesEndpoint ? { tracer: tracing.tracer } : {}),
});
exitOnSignals(app, {
  drainMs: config.shutdownDrainMs,
  onClosed: async () => {
    keys.stop();
    metrics.stop();
    lambda.destroy();
    await axon.close();
    await tracing.shutdown();
  },
});
await app.listen({ port: config.port, host: config.host });
