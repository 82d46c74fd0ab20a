import { App } from 'aws-cdk-lib';
import { CicdStage } from '../lib/cicd-stage.js';
import { type GithubConfig, loadGithubConfig, refuseDuplicateOidcProviders } from '../lib/config/cicd.js';
import {
  ConfigError,
  type EnvironmentConfig,
  loadConfig,
  parseEnvironmentSelection,
} from '../lib/config/index.js';
import { applyCompliancePacks } from '../lib/nag.js';
import { PlatformStage } from '../lib/platform-stage.js';

const app = new App();
// `-c imageTag=<tag>` deploys the CI-pushed ECR images with that tag instead of building from source.
const imageTag: unknown = app.node.tryGetContext('imageTag');
try {
  const cicd: { config: EnvironmentConfig; github: GithubConfig }[] = [];
  for (const name of parseEnvironmentSelection(app.node.tryGetContext('env'))) {
    const config = loadConfig(name, process.env, {
      imageTag: imageTag === undefined ? undefined : String(imageTag),
    });
    new PlatformStage(app, name, { config });
    const github = loadGithubConfig(name, process.env);
    if (github) cicd.push({ config, github });
  }
  refuseDuplicateOidcProviders(cicd);
  // The OIDC trust of each environment, deployed apart from it: `cdk deploy 'cicd-<env>/*'`.
  for (const { config, github } of cicd) new CicdStage(app, `cicd-${config.name}`, { config, github });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A configuration mistake is the user's to fix: one line, no stack trace.
  console.error(error.message);
  process.exit(1);
}
applyCompliancePacks(app);
app.synth();
