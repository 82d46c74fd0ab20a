import { Stage, type StageProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { GithubConfig } from './config/cicd.js';
import type { EnvironmentConfig } from './config/index.js';
import { CicdStack } from './stacks/cicd-stack.js';

export interface CicdStageProps extends StageProps {
  readonly config: EnvironmentConfig;
  readonly github: GithubConfig;
}

/**
 * The GitHub OIDC trust of one environment, in a stage of its own (`cicd-<env>`): it is deployed
 * once by an administrator, never by the pipeline it authorizes, so `cdk deploy '<env>/*'` in CI
 * cannot widen its own trust.
 */
export class CicdStage extends Stage {
  readonly cicd: CicdStack;

  constructor(scope: Construct, id: string, props: CicdStageProps) {
    const { config, github } = props;
    super(scope, id, { ...props, env: { account: config.account, region: config.region } });
    this.cicd = new CicdStack(this, 'Cicd', {
      config,
      github,
      stackName: `${config.prefix}-cicd`,
      description: `Axon/Orbit ${config.name}: GitHub OIDC provider and deploy roles for ${github.repository}`,
      terminationProtection: config.name === 'prod',
    });
    Tags.of(this).add('project', 'axon-orbit');
    Tags.of(this).add('environment', config.name);
  }
}
