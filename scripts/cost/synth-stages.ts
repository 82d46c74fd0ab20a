import { App } from 'aws-cdk-lib';
import { ENVIRONMENT_NAMES } from '../../contracts/environments.js';
import { loadConfig } from '../../lib/config/index.js';
import { PlatformStage } from '../../lib/platform-stage.js';
import { cdkContext, SHARED_PROCESS_ENV } from '../../test/support/platform.js';

/**
 * Synthesizes every environment's stage into `outdir` in-process, as `npm run synth` would with its
 * offline placeholders (prices do not depend on account ids or certificates), without bundling the
 * Lambda code (templates only): a minute instead of several. The environment is the tests' shared
 * assembly's, so the docs section generated here is what the sync test computes from that assembly.
 */
export function synthesizeStages(outdir: string): void {
  const app = new App({ context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] }, outdir });
  for (const env of ENVIRONMENT_NAMES)
    new PlatformStage(app, env, { config: loadConfig(env, SHARED_PROCESS_ENV) });
  app.synth();
}
