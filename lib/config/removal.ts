import { RemovalPolicy } from 'aws-cdk-lib';
import type { EnvironmentConfig } from './types.js';

export function removalPolicyOf(config: EnvironmentConfig): RemovalPolicy {
  return config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}
