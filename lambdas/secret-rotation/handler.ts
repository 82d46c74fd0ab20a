import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { ROTATION_FUNCTION_ENV } from '../../contracts/service-env.js';
import { RotationError, rotate } from './rotation.js';

const logger = new Logger({ serviceName: 'secret-rotation' });
const client = new SecretsManagerClient({});

/** Secrets Manager invokes this once per rotation step of Orbit's signing key. */
export async function handler(event: SecretsManagerRotationEvent): Promise<void> {
  const verificationSecretId = process.env[ROTATION_FUNCTION_ENV.verificationSecretId];
  if (!verificationSecretId) {
    throw new RotationError(`${ROTATION_FUNCTION_ENV.verificationSecretId} is not set`);
  }
  logger.info('rotation step', {
    step: event.Step,
    secretId: event.SecretId,
    versionId: event.ClientRequestToken,
  });
  await rotate(event, { client, verificationSecretId, logger });
}
