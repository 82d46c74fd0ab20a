import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { type KeyService, leastPrivilegeKeyPolicy } from './key-policy.js';

export interface ServiceKeyProps {
  /** Alias under which operators find the key, e.g. `axon-orbit-prod/axon`. */
  readonly alias: string;
  readonly description: string;
  readonly removalPolicy: RemovalPolicy;
  /** The services through which IAM principals of the account may use the key (`kms:ViaService`). */
  readonly usedThrough: readonly KeyService[];
}

/**
 * A symmetric customer-managed key with yearly automatic rotation. One per service so a leaked
 * role can decrypt only its own data. Its policy never gives the account `kms:*`: the account
 * administers it, and uses it only through the services named in `usedThrough`
 * (see `leastPrivilegeKeyPolicy`).
 */
export class ServiceKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: ServiceKeyProps) {
    super(scope, id);
    if (!/^[a-zA-Z0-9/_-]+$/.test(props.alias)) {
      throw new Error(`ServiceKey alias "${props.alias}" may contain only letters, digits, "/", "_" and "-"`);
    }
    if (props.usedThrough.length === 0) {
      throw new Error(`ServiceKey usedThrough for "${props.alias}" must name at least one service`);
    }
    this.key = new kms.Key(this, 'Key', {
      alias: `alias/${props.alias}`,
      description: props.description,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      pendingWindow: Duration.days(30),
      removalPolicy: props.removalPolicy,
      policy: leastPrivilegeKeyPolicy(this, { usedThrough: props.usedThrough }),
    });
  }
}
