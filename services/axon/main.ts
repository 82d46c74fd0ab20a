import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { METRIC_NAMESPACE } from '../../contracts/metrics.js';
import { VerificationKeyStore } from '../shared/keys.js';
import { createLogger } from '../shared/logger.js';
import { EmfMetrics } from '../shared/metrics.js';
import { ReplayCache } from '../shared/replay-cache.js';
import { DynamoReplayStore } from '../shared/replay-store.js';
import { secretSourceFor } from '../shared/secrets.js';
import { exitOnSignals } from '../shared/shutdown.js';
import { Tracing } from '../shared/tracing.js';
import { buildAxonApp } from './app.js';
import { loadAxonConfig } from './config.js';
import {
  DecisionTokenVerifier,
  KmsPublicKeys,
  LocalPublicKeys,
  type TokenKeySource,
} from './decision-token.js';

const config = loadAxonConfig(process.env);
const logger = createLogger('axon', config.logLevel);
const source = secretSourceFor(config);
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

let tokenKeys: TokenKeySource | undefined;
if (config.decisionTokenKeys?.kind === 'kms') {
  const kmsKeys = new KmsPublicKeys(
    new KMSClient({ region: config.region }),
    config.decisionTokenKeys.keyIds,
    logger,
  );
  await kmsKeys.start();
  tokenKeys = kmsKeys;
} else if (config.decisionTokenKeys?.kind === 'local') {
  tokenKeys = await LocalPublicKeys.fromFile(config.decisionTokenKeys.file);
} else {
  logger.warn('no decision-token key configured: /reason serves any signed request (local only)');
}
const tokens = tokenKeys
  ? new DecisionTokenVerifier({ keys: tokenKeys, environment: config.environment })
  : undefined;

try {
  await keys.start();
} catch (err) {
  logger.fatal({ err }, 'could not load verification keys');
  process.exit(1);
}
metrics.start();
const app = buildAxonApp({
  logger,
  region: config.region,
  keys,
  replay,
  ...(tokens ? { tokens } : {}),
  metrics,
  tracer: tracing.tracer,
});
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
