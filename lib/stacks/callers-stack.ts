import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/index.js';
import { CallerIdentity } from '../constructs/caller-identity.js';

export interface CallersStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * Who may call Orbit (stateful): the callers' user pool and app clients. Replacing the pool would
 * change the issuer and every caller's credentials, so it lives apart from the services that trust it.
 */
export class CallersStack extends Stack {
  readonly identity: CallerIdentity;

  constructor(scope: Construct, id: string, props: CallersStackProps) {
    super(scope, id, props);
    this.identity = new CallerIdentity(this, 'CallerIdentity', { config: props.config });
  }
}
