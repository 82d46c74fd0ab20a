import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { VerificationKeyStore } from '../shared/keys.js';
import { createLogger } from '../shared/logger.js';
import { EmfMetrics } from '../shared/metrics.js';
import { LocalFileSecretStore, type SecretSource, SecretsManagerSource } from '../shared/secrets.js';
import { exitOnSignals } from '../shared/shutdown.js';
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
const metrics = new EmfMetrics({ namespace: 'AxonOrbit', service: 'axon', logger, flushMs: 60_000 });

try {
  await keys.start();
} catch (err) {
  logger.fatal({ err }, 'could not load verification keys');
  process.exit(1);
}
metrics.start();
const app = buildAxonApp({ logger, region: config.region, keys, metrics });
exitOnSignals(app, {
  drainMs: config.shutdownDrainMs,
  onClosed: () => {
    keys.stop();
    metrics.stop();
  },
});
await app.listen({ port: config.port, host: '0.0.0.0' });
