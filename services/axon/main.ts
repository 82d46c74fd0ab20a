import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { METRIC_NAMESPACE } from '../../contracts/metrics.js';
import { VerificationKeyStore } from '../shared/keys.js';
import { createLogger } from '../shared/logger.js';
import { EmfMetrics } from '../shared/metrics.js';
import { ReplayCache } from '../shared/replay-cache.js';
import { DynamoReplayStore } from '../shared/replay-store.js';
import { LocalFileSecretStore, type SecretSource, SecretsManagerSource } from '../shared/secrets.js';
import { exitOnSignals } from '../shared/shutdown.js';
import { Tracing } from '../shared/tracing.js';
import { buildAxonApp } from './app.js';
import { loadAxonConfig } from './config.js';

const config = loadAxonConfig(process.env);
const logger = createLogger('axon', config.logLevel);
const source: SecretSource = config.localSecretsDir
  ? new LocalFileSecretStore(config.localSecretsDir)
  : new SecretsManagerSource(new SecretsManagerClient({ region: config.region }));
const keys = new VerificationKeyStore({
  source,
  secretId: config.verificationSecretId,
  refreshMs: config.keyRefreshMs,
  unknownKeyRefreshMs: 5_000,
  logger,
});
const metrics = new EmfMetrics({
  namespace: METRIC_NAMESPACE,
  service: 'axon',
  environment: config.environment,
  logger,
  flushMs: 60_000,
});
const tracing = Tracing.start({
  serviceName: 'axon',
  environment: config.environment,
  endpoint: config.tracesEndpoint,
});

// The DynamoDB endpoint follows the SDK's own AWS_ENDPOINT_URL_DYNAMODB (dynalite on the local platform).
const replayClient = config.replayTableName
  ? new DynamoDBClient({ region: config.region, maxAttempts: 2 })
  : undefined;
const replay =
  replayClient && config.replayTableName
    ? new DynamoReplayStore({
        client: replayClient,
        tableName: config.replayTableName,
        timeoutMs: config.replayTimeoutMs,
        logger,
      })
    : new ReplayCache();
if (!replayClient) logger.warn('no replay table configured: replay protection covers this process only');

try {
  await keys.start();
} catch (err) {
  logger.fatal({ err }, 'could not load verification keys');
  process.exit(1);
}
metrics.start();
const app = buildAxonApp({ logger, region: config.region, keys, replay, metrics, tracer: tracing.tracer });
exitOnSignals(app, {
  drainMs: config.shutdownDrainMs,
  onClosed: async () => {
    keys.stop();
    replayClient?.destroy();
    metrics.stop();
    await tracing.shutdown();
  },
});
await app.listen({ port: config.port, host: config.host });
