import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decisionConfigFromEnvironment } from './config.js';
import { createDecisionHandler } from './decision-handler.js';
import { decisionTokensFromEnvironment } from './decision-token/index.js';
import { PolicyStore } from './store/index.js';
import { tracer } from './telemetry.js';

const { tableName, ...options } = decisionConfigFromEnvironment(process.env);
// A decision must not wait on a slow store: short timeouts, one retry, then deny. The DynamoDB
// endpoint follows the SDK's own `AWS_ENDPOINT_URL_DYNAMODB` (the local platform sets it).
const client = tracer.captureAWSv3Client(
  new DynamoDBClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 } }),
);

/** The Lambda entry point: environment → factory. */
const tokens = decisionTokensFromEnvironment(process.env, options.environment);
export const handler = createDecisionHandler({
  store: new PolicyStore({ client, tableName }),
  ...options,
  ...(tokens ? { tokens } : {}),
});
