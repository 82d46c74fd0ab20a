import { App } from 'aws-cdk-lib';
import { ConfigError, parseEnvironmentSelection } from '../lib/config/index.js';
import { addPlatform } from '../lib/platform-app.js';

const app = new App();
// `-c imageTag=<tag>` deploys the CI-pushed ECR images with that tag instead of building from source.
const imageTag: unknown = app.node.tryGetContext('imageTag');
try {
  addPlatform(app, {
    envs: parseEnvironmentSelection(app.node.tryGetContext('env')),
    processEnv: process.env,
    overrides: { imageTag: imageTag === undefined ? undefined : String(imageTag) },
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A configuration mistake is the user's to fix: one line, no stack trace.
  console.error(error.message);
  process.exit(1);
}
app.synth();
