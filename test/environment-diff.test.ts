import { describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { buildEnvironments } from './support/environments.js';

/**
 * docs/environments.md lists what differs between dev and prod. These tests hold the signing and
 * services templates to it: the same resources in both, and the documented values on each side.
 */
const built = buildEnvironments(['dev', 'prod']);
const env = (name: string) => {
  const b = built[name];
  if (!b) throw new Error(`no environment ${name}`);
  return b;
};

/** The custom resource (and its provider) that empties a non-prod bucket on teardown. */
const TEARDOWN_ONLY = /^Custom::S3AutoDeleteObjects$|AutoDeleteObjectsCustomResourceProvider/;
/** `deployment.serviceConnectTls` (off in dev): the private CA, its role and key, compared below. */
const TLS_ONLY = /^ServiceConnectTls/;
const shape = (t: Template) => {
  const counts = new Map<string, number>();
  for (const [id, r] of Object.entries(t.toJSON().Resources as Record<string, { Type: string }>)) {
    if (TEARDOWN_ONLY.test(r.Type) || TEARDOWN_ONLY.test(id) || TLS_ONLY.test(id)) continue;
    counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort());
};

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Cfn = any;
const only = (t: Template, type: string, predicate: (p: Cfn) => boolean = () => true): Cfn => {
  const found = Object.values(t.findResources(type)).filter((r: Cfn) => predicate(r.Properties));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};
const orbitService = (t: Template) =>
  only(t, 'AWS::ECS::Service', (p) => String(p.ServiceName).endsWith('-orbit'));
const axonService = (t: Template) =>
  only(t, 'AWS::ECS::Service', (p) => String(p.ServiceName).endsWith('-axon'));
const orbitTask = (t: Template) =>
  only(t, 'AWS::ECS::TaskDefinition', (p) => String(p.Family).endsWith('-orbit'));
const envVar = (t: Template, name: string) =>
  orbitTask(t).Properties.ContainerDefinitions[0].Environment.find((e: Cfn) => e.Name === name)?.Value;
const listener = (t: Template) => only(t, 'AWS::ElasticLoadBalancingV2::Listener').Properties;
const albAttribute = (t: Template, key: string) =>
  only(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties.LoadBalancerAttributes.find(
    (a: Cfn) => a.Key === key,
  )?.Value;
const scalable = (t: Template) =>
  Object.values(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget')).map((r: Cfn) => [
    r.Properties.MinCapacity,
    r.Properties.MaxCapacity,
  ]);
const deletionPolicies = (t: Template) =>
  new Set(
    Object.values(t.toJSON().Resources as Record<string, { DeletionPolicy?: string }>)
      .map((r) => r.DeletionPolicy)
      .filter((p) => p !== undefined),
  );

describe('dev and prod templates', () => {
  it('contain the same resources', () => {
    expect(shape(env('dev').servicesTemplate)).toEqual(shape(env('prod').servicesTemplate));
    expect(shape(env('dev').signingTemplate)).toEqual(shape(env('prod').signingTemplate));
  });

  it.each<[string, (t: Template) => unknown, unknown, unknown]>([
    ['ALB listener', (t) => [listener(t).Protocol, listener(t).Port], ['HTTP', 80], ['HTTPS', 443]],
    ['ALB deletion protection', (t) => albAttribute(t, 'deletion_protection.enabled'), 'false', 'true'],
    [
      'Fargate Spot',
      (t) => orbitService(t).Properties.CapacityProviderStrategy.map((s: Cfn) => s.CapacityProvider),
      ['FARGATE', 'FARGATE_SPOT'],
      ['FARGATE'],
    ],
    [
      'task size',
      (t) => [orbitTask(t).Properties.Cpu, orbitTask(t).Properties.Memory],
      ['256', '512'],
      ['1024', '2048'],
    ],
    [
      'task count bounds',
      scalable,
      [
        [1, 2],
        [1, 2],
      ],
      [
        [3, 12],
        [3, 12],
      ],
    ],
    ['drain (stop timeout)', (t) => orbitTask(t).Properties.ContainerDefinitions[0].StopTimeout, 10, 60],
    ['service drain on SIGTERM', (t) => envVar(t, 'SHUTDOWN_DRAIN_MS'), '8000', '58000'],
    ['log level', (t) => envVar(t, 'LOG_LEVEL'), 'debug', 'info'],
    ['bake time', (t) => orbitService(t).Properties.DeploymentConfiguration.BakeTimeInMinutes, 0, 15],
    [
      'log retention',
      (t) =>
        only(t, 'AWS::Logs::LogGroup', (p) => String(p.LogGroupName).endsWith('/orbit')).Properties
          .RetentionInDays,
      14,
      365,
    ],
    ['removal policy', (t) => [...deletionPolicies(t)], ['Delete'], ['Retain']],
    [
      'Service Connect TLS',
      (t) => [
        Object.keys(t.findResources('AWS::ACMPCA::CertificateAuthority')).length,
        axonService(t).Properties.ServiceConnectConfiguration.Services[0].Tls !== undefined,
      ],
      [0, false],
      [1, true],
    ],
  ])('differ in %s as documented', (_what, read, devValue, prodValue) => {
    expect(read(env('dev').servicesTemplate)).toEqual(devValue);
    expect(read(env('prod').servicesTemplate)).toEqual(prodValue);
  });

  it('rotate the signing key on the documented schedules', () => {
    const schedule = (t: Template) =>
      only(t, 'AWS::SecretsManager::RotationSchedule').Properties.RotationRules.ScheduleExpression;
    expect(schedule(env('dev').signingTemplate)).toBe('rate(7 days)');
    expect(schedule(env('prod').signingTemplate)).toBe('rate(30 days)');
  });
});
