import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { IMAGE_TAG } from './support/assembly.js';
import { buildEnvironments } from './support/environments.js';

const built = buildEnvironments(['dev', 'prod'], { variant: 'imageTag' });
const view = (env: string) => {
  const b = built[env];
  if (!b) throw new Error(`no environment ${env}`);
  return { t: b.servicesTemplate, template: b.template, config: b.config };
};
const prod = view('prod');
const dev = view('dev');

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, navigated by the assertions themselves
type Cfn = any;
type Resource = { Properties: Record<string, unknown>; DependsOn?: string[] };
const resources = (t: Template, type: string) =>
  Object.entries(t.findResources(type)) as [string, Resource][];
const serviceNamed = (t: Template, name: string) => {
  const found = resources(t, 'AWS::ECS::Service').find(([, r]) => r.Properties.ServiceName === name);
  if (!found) throw new Error(`no service ${name}`);
  return found[1].Properties as Cfn;
};
const taskFamily = (t: Template, family: string) => {
  const found = resources(t, 'AWS::ECS::TaskDefinition').find(([, r]) => r.Properties.Family === family);
  if (!found) throw new Error(`no task definition ${family}`);
  return found[1].Properties as Cfn;
};
const logicalIdOf = (t: Template, type: string, predicate: (r: Resource) => boolean) => {
  const found = resources(t, type).find(([, r]) => predicate(r));
  if (!found) throw new Error(`no ${type}`);
  return found[0];
};
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };
const managedPolicyOf = (t: Template, idPrefix: string) => {
  const found = resources(t, 'AWS::IAM::ManagedPolicy').find(([id]) => id.startsWith(idPrefix));
  if (!found) throw new Error(`no managed policy ${idPrefix}`);
  return found[1].Properties as { PolicyDocument: { Statement: Statement[] }; Roles: unknown[] };
};
const actionsOf = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('ServicesStack: cluster and images', () => {
  it('runs one cluster with enhanced Container Insights and the Fargate capacity providers', () => {
    prod.t.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'axon-orbit-prod',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
    });
    prod.t.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    });
  });

  it('uses Fargate Spot beyond the first task in dev only', () => {
    expect(serviceNamed(dev.t, 'axon-orbit-dev-orbit').CapacityProviderStrategy).toEqual([
      { CapacityProvider: 'FARGATE', Base: 1, Weight: 1 },
      { CapacityProvider: 'FARGATE_SPOT', Weight: 3 },
    ]);
    for (const name of ['orbit', 'axon']) {
      expect(serviceNamed(prod.t, `axon-orbit-prod-${name}`).CapacityProviderStrategy).toEqual([
        { CapacityProvider: 'FARGATE', Weight: 1 },
      ]);
    }
  });

  it('offers no ECS Exec in any environment: its agent cannot run on a read-only root without an ssmmessages endpoint', () => {
    for (const { t } of [dev, prod]) {
      for (const name of ['orbit', 'axon']) {
        expect(
          serviceNamed(t, `axon-orbit-${t === dev.t ? 'dev' : 'prod'}-${name}`).EnableExecuteCommand,
        ).toBe(false);
      }
      expect(JSON.stringify(t.findResources('AWS::IAM::ManagedPolicy'))).not.toContain('ssmmessages:');
    }
  });

  it('starts a service only after the cluster has its capacity providers, so create and destroy do not race them', () => {
    for (const { t } of [dev, prod]) {
      const [association] = Object.keys(t.findResources('AWS::ECS::ClusterCapacityProviderAssociations'));
      for (const [, service] of resources(t, 'AWS::ECS::Service')) {
        expect(service.DependsOn).toContain(association);
      }
    }
  });

  it('keeps CI images in scanned, immutable, KMS-encrypted repositories with lifecycle rules', () => {
    for (const service of ['orbit', 'axon']) {
      prod.t.hasResourceProperties('AWS::ECR::Repository', {
        RepositoryName: `axon-orbit-prod/${service}`,
        ImageScanningConfiguration: { ScanOnPush: true },
        ImageTagMutability: 'IMMUTABLE',
        EncryptionConfiguration: { EncryptionType: 'KMS' },
        LifecyclePolicy: { LifecyclePolicyText: Match.stringLikeRegexp('"countType":"imageCountMoreThan"') },
      });
    }
  });

  it('keeps 50 images of rollback depth: signatures and attestations are counted apart from the images', () => {
    const [, repository] = resources(prod.t, 'AWS::ECR::Repository')[0] as [string, Resource];
    const policy = JSON.parse((repository.Properties as Cfn).LifecyclePolicy.LifecyclePolicyText);
    const countRules = policy.rules.filter((r: Cfn) => r.selection.countType === 'imageCountMoreThan');
    expect(
      countRules.map((r: Cfn) => [
        r.selection.tagStatus,
        r.selection.tagPatternList,
        r.selection.countNumber,
      ]),
    ).toEqual([
      ['tagged', ['sha256-*'], 100],
      ['any', undefined, 50],
    ]);
  });

  it('empties the image repositories when a non-prod environment is torn down, never in prod', () => {
    expect(resources(dev.t, 'AWS::ECR::Repository').length).toBe(3);
    for (const [, repository] of resources(dev.t, 'AWS::ECR::Repository')) {
      expect(repository.Properties.EmptyOnDelete).toBe(true);
    }
    for (const [, repository] of resources(prod.t, 'AWS::ECR::Repository')) {
      expect(repository.Properties.EmptyOnDelete).not.toBe(true);
    }
  });

  it('runs the CI-pushed image tag chosen with -c imageTag', () => {
    const image = JSON.stringify(taskFamily(prod.t, 'axon-orbit-prod-orbit').ContainerDefinitions[0].Image);
    expect(image).toContain(`:${IMAGE_TAG}`);
    expect(image).toContain(
      logicalIdOf(
        prod.t,
        'AWS::ECR::Repository',
        (r) => r.Properties.RepositoryName === 'axon-orbit-prod/orbit',
      ),
    );
  });
});

describe('ServicesStack: task definitions', () => {
  it.each(['orbit', 'axon'])('hardens the %s container', (service) => {
    const task = taskFamily(prod.t, `axon-orbit-prod-${service}`);
    const size = prod.config[service as 'orbit' | 'axon'];
    expect(task.RuntimePlatform).toEqual({ CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' });
    expect(task.Cpu).toBe(String(size.cpu));
    expect(task.Memory).toBe(String(size.memoryMiB));
    expect(task.ContainerDefinitions.map((c: { Name: string }) => c.Name)).toEqual([
      service,
      'trace-collector',
    ]);
    const [container, collector] = task.ContainerDefinitions;
    expect(container).toMatchObject({
      Name: service,
      Essential: true,
      EntryPoint: ['/nodejs/bin/node'],
      Command: ['/app/main.mjs'],
      ReadonlyRootFilesystem: true,
      Privileged: false,
      User: '65532:65532',
      StopTimeout: prod.config.deployment.drainSeconds,
      MountPoints: [{ ContainerPath: '/tmp', SourceVolume: 'tmp', ReadOnly: false }],
      LogConfiguration: { LogDriver: 'awslogs' },
    });
    expect(container.User.split(':')[0]).not.toBe('0');
    expect(container.HealthCheck).toEqual({
      Command: ['CMD', '/nodejs/bin/node', '/app/healthcheck.mjs'],
      Interval: 15,
      Timeout: 5,
      Retries: 3,
      StartPeriod: 20,
    });
    // The X-Ray sidecar may fail without taking the service down, and runs as hardened as the app.
    expect(collector).toMatchObject({
      Essential: false,
      ReadonlyRootFilesystem: true,
      Privileged: false,
      User: '10001',
    });
    const collectorRepository = logicalIdOf(
      prod.t,
      'AWS::ECR::Repository',
      (r) => r.Properties.RepositoryName === 'axon-orbit-prod/aws-otel-collector',
    );
    expect(JSON.stringify(collector.Image)).toContain(collectorRepository);
    expect(JSON.stringify(collector.Image)).toMatch(/:v\d+\.\d+\.\d+"/);
  });

  it('starts tasks without any upstream registry: the collector comes from a project-owned repository the services wait for', () => {
    prod.t.resourceCountIs('AWS::ECR::PullThroughCacheRule', 0);
    const collectorRepository = logicalIdOf(
      prod.t,
      'AWS::ECR::Repository',
      (r) => r.Properties.RepositoryName === 'axon-orbit-prod/aws-otel-collector',
    );
    prod.t.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'axon-orbit-prod/aws-otel-collector',
      ImageTagMutability: 'IMMUTABLE',
    });
    for (const [, service] of resources(prod.t, 'AWS::ECS::Service')) {
      expect(service.DependsOn).toContain(collectorRepository);
    }
  });

  it('sends logs to KMS-encrypted groups named /<prefix>/<service> with the retention of the environment', () => {
    for (const service of ['orbit', 'axon']) {
      prod.t.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: `/axon-orbit-prod/${service}`,
        RetentionInDays: 365,
        KmsKeyId: Match.anyValue(),
      });
    }
    dev.t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/axon-orbit-dev/orbit',
      RetentionInDays: 14,
    });
  });

  it('separates the execution role (pull, logs) from the task role (the service’s own calls)', () => {
    for (const service of ['orbit', 'axon']) {
      const task = taskFamily(prod.t, `axon-orbit-prod-${service}`);
      expect(JSON.stringify(task.TaskRoleArn)).toContain(`${service === 'orbit' ? 'Orbit' : 'Axon'}TaskRole`);
      expect(JSON.stringify(task.ExecutionRoleArn)).toMatch(/ExecutionRole/);
      expect(task.TaskRoleArn).not.toEqual(task.ExecutionRoleArn);
    }
    const executionActions = resources(prod.t, 'AWS::IAM::Policy')
      .filter(([id]) => id.includes('ExecutionRole'))
      .flatMap(([, p]) => actionsOf((p.Properties.PolicyDocument as { Statement: Statement[] }).Statement));
    expect(executionActions.length).toBeGreaterThan(0);
    expect(executionActions.filter((a) => !a.startsWith('ecr:') && !a.startsWith('logs:'))).toEqual([]);
  });

  it('passes Orbit and Axon the contract’s environment', () => {
    const orbitEnv = Object.fromEntries(
      taskFamily(prod.t, 'axon-orbit-prod-orbit').ContainerDefinitions[0].Environment.map(
        (e: { Name: string; Value: unknown }) => [e.Name, e.Value],
      ),
    );
    expect(Object.keys(orbitEnv).sort()).toEqual([
      'AUTH_CLIENT_ID_CLAIM',
      'AUTH_ISSUER',
      'AUTH_JWKS_URL',
      'AUTH_REQUIRED_CLAIMS',
      'AWS_REGION',
      'AXON_URL',
      'CALLER_NAMES',
      'ENVIRONMENT',
      'GOVERNANCE_FUNCTION_NAME',
      'GOVERNANCE_TIMEOUT_MS',
      'LOG_LEVEL',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'PORT',
      'RATE_LIMITS',
      'SHUTDOWN_DRAIN_MS',
      'SIGNING_SECRET_ID',
    ]);
    expect(orbitEnv).toMatchObject({
      PORT: '8080',
      AXON_URL: 'http://axon:8081',
      SHUTDOWN_DRAIN_MS: '58000',
      ENVIRONMENT: 'prod',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
    });
    const axonEnv = taskFamily(prod.t, 'axon-orbit-prod-axon').ContainerDefinitions[0].Environment.map(
      (e: { Name: string }) => e.Name,
    );
    expect(axonEnv.sort()).toEqual([
      'AWS_REGION',
      'DECISION_TOKEN_KEY_ID',
      'ENVIRONMENT',
      'LOG_LEVEL',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'PORT',
      'REPLAY_TABLE_NAME',
      'SHUTDOWN_DRAIN_MS',
      'VERIFICATION_SECRET_ID',
    ]);
  });
});

describe('ServicesStack: network placement', () => {
  const subnetOutputs = (props: Cfn) =>
    JSON.stringify(props.NetworkConfiguration.AwsvpcConfiguration.Subnets);

  it('runs Orbit in the private subnets and Axon in the isolated ones, without public IPs', () => {
    const orbit = serviceNamed(prod.t, 'axon-orbit-prod-orbit');
    const axon = serviceNamed(prod.t, 'axon-orbit-prod-axon');
    expect(subnetOutputs(orbit)).toMatch(/privateSubnet/);
    expect(subnetOutputs(axon)).toMatch(/axonSubnet/);
    expect(subnetOutputs(axon)).not.toMatch(/privateSubnet|publicSubnet/);
    for (const s of [orbit, axon])
      expect(s.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
  });

  it('puts no load balancer in front of Axon', () => {
    expect(serviceNamed(prod.t, 'axon-orbit-prod-axon').LoadBalancers).toEqual([]);
  });

  it('admits only Orbit’s security group to Axon, on the Axon port', () => {
    const axonSg = logicalIdOf(prod.t, 'AWS::EC2::SecurityGroup', (r) =>
      String(r.Properties.GroupDescription).startsWith('Axon tasks'),
    );
    const orbitSg = logicalIdOf(prod.t, 'AWS::EC2::SecurityGroup', (r) =>
      String(r.Properties.GroupDescription).startsWith('Orbit tasks'),
    );
    const ingress = resources(prod.t, 'AWS::EC2::SecurityGroupIngress').filter(
      ([, r]) =>
        JSON.stringify(r.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [axonSg, 'GroupId'] }),
    );
    expect(ingress.map(([, r]) => r.Properties)).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 8081,
        ToPort: 8081,
        SourceSecurityGroupId: { 'Fn::GetAtt': [orbitSg, 'GroupId'] },
      }),
    ]);
    const inline = prod.t.findResources('AWS::EC2::SecurityGroup')[axonSg] as Resource;
    expect(inline.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('connects Orbit to Axon through Service Connect with a per-request timeout', () => {
    prod.t.hasResourceProperties('AWS::ServiceDiscovery::HttpNamespace', {
      Name: 'axon-orbit-prod.internal',
    });
    const axon = serviceNamed(prod.t, 'axon-orbit-prod-axon');
    expect(axon.ServiceConnectConfiguration).toMatchObject({
      Enabled: true,
      Services: [
        {
          PortName: 'axon',
          DiscoveryName: 'axon',
          ClientAliases: [{ Port: 8081, DnsName: 'axon' }],
          Timeout: { PerRequestTimeoutSeconds: 5, IdleTimeoutSeconds: 60 },
        },
      ],
    });
    const orbit = serviceNamed(prod.t, 'axon-orbit-prod-orbit');
    expect(orbit.ServiceConnectConfiguration.Enabled).toBe(true);
    expect(orbit.ServiceConnectConfiguration.Services).toBeUndefined();
  });
});

describe('ServicesStack: internal load balancer', () => {
  it('is internal and serves HTTPS with the configured certificate in prod', () => {
    prod.t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    prod.t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: prod.config.deployment.certificateArn }],
    });
    prod.t.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'HTTP' }, 0);
  });

  it('serves HTTP inside the VPC in dev, which has no certificate', () => {
    dev.t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    dev.t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Internal ALB: HTTP from inside the VPC'),
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.10.0.0/16', FromPort: 80, ToPort: 80 })],
    });
  });

  it('checks /health and drains for the configured time on both blue and green target groups', () => {
    const groups = resources(prod.t, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(groups).toHaveLength(2);
    for (const [, group] of groups) {
      expect(group.Properties).toMatchObject({
        HealthCheckPath: '/health',
        Port: 8080,
        TargetType: 'ip',
        TargetGroupAttributes: expect.arrayContaining([
          { Key: 'deregistration_delay.timeout_seconds', Value: '60' },
        ]),
      });
    }
  });
});

describe('ServicesStack: deployments and scaling', () => {
  it.each(['orbit', 'axon'])('deploys %s blue/green with circuit-breaker and alarm rollback', (service) => {
    const props = serviceNamed(prod.t, `axon-orbit-prod-${service}`);
    expect(props.DeploymentConfiguration).toMatchObject({
      Strategy: 'BLUE_GREEN',
      BakeTimeInMinutes: 15,
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      Alarms: { Enable: true, Rollback: true },
    });
    const alarm = logicalIdOf(
      prod.t,
      'AWS::CloudWatch::Alarm',
      (r) => r.Properties.AlarmName === `axon-orbit-prod-${service}-deployment-5xx`,
    );
    expect(props.DeploymentConfiguration.Alarms.AlarmNames).toEqual([{ Ref: alarm }]);
  });

  it('swaps Orbit between two target groups on one production listener rule', () => {
    const [lb] = serviceNamed(prod.t, 'axon-orbit-prod-orbit').LoadBalancers;
    const rule = logicalIdOf(prod.t, 'AWS::ElasticLoadBalancingV2::ListenerRule', () => true);
    expect(lb.AdvancedConfiguration).toMatchObject({
      ProductionListenerRule: { Ref: rule },
      AlternateTargetGroupArn: { Ref: expect.stringMatching(/^OrbitGreen/) },
    });
    expect(lb.TargetGroupArn).toEqual({ Ref: expect.stringMatching(/^OrbitBlue/) });
  });

  it('scales Orbit on CPU and on ALB requests per task, Axon on CPU, within the configured bounds', () => {
    const targets = resources(prod.t, 'AWS::ApplicationAutoScaling::ScalableTarget').map(([id, r]) => [
      id,
      r.Properties,
    ]);
    expect(targets).toHaveLength(2);
    for (const [, t] of targets) expect(t).toMatchObject({ MinCapacity: 3, MaxCapacity: 12 });
    const policies = resources(prod.t, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(
      ([, r]) => r.Properties as Cfn,
    );
    const predefined = policies.map(
      (p) => p.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification?.PredefinedMetricType,
    );
    expect(predefined.filter((p) => p === 'ECSServiceAverageCPUUtilization')).toHaveLength(2);
    const custom = policies.find(
      (p) => p.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification,
    );
    const spec = custom?.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification;
    expect(spec.MetricName).toBeUndefined();
    expect(spec.Metrics.map((m: { Id: string }) => m.Id)).toEqual(['requests', 'tasks', 'perTask']);
    expect(spec.Metrics[2]).toMatchObject({ Expression: 'requests / tasks', ReturnData: true });
    dev.t.allResourcesProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 2,
    });
  });
});

describe('ServicesStack: IAM', () => {
  const orbitPolicy = JSON.stringify(managedPolicyOf(prod.t, 'OrbitTaskPolicy'));
  const axonPolicy = JSON.stringify(managedPolicyOf(prod.t, 'AxonTaskPolicy'));

  it('lets Orbit invoke only the governance decision function', () => {
    const statements = managedPolicyOf(prod.t, 'OrbitTaskPolicy').PolicyDocument.Statement;
    const invoke = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('lambda:')));
    expect(invoke).toHaveLength(1);
    expect(invoke[0]?.Action).toBe('lambda:InvokeFunction');
    expect(JSON.stringify(invoke[0]?.Resource)).toMatch(/DecideFunction/);
    expect(axonPolicy).not.toContain('lambda:');
  });

  it('lets each service read only its own secret with its own key', () => {
    expect(orbitPolicy).toMatch(/OrbitSigningKey/);
    expect(orbitPolicy).toMatch(/OrbitKey/);
    expect(orbitPolicy).not.toMatch(/AxonVerificationKeys|AxonKey/);
    expect(axonPolicy).toMatch(/AxonVerificationKeys/);
    expect(axonPolicy).toMatch(/AxonKey/);
    expect(axonPolicy).not.toMatch(/OrbitSigningKey|OrbitKey/);
    for (const policy of [orbitPolicy, axonPolicy]) {
      expect(policy).not.toMatch(/GovernanceKey|LogsKey|secretsmanager:PutSecretValue/);
    }
  });

  it('uses "*" only for trace submission, which X-Ray cannot scope', () => {
    for (const name of ['OrbitTaskPolicy', 'AxonTaskPolicy']) {
      const wildcard = managedPolicyOf(prod.t, name).PolicyDocument.Statement.filter(
        (s) => s.Resource === '*',
      );
      expect(actionsOf(wildcard).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('attaches the policies to the SecurityStack roles without editing that stack', () => {
    expect(JSON.stringify(managedPolicyOf(prod.t, 'OrbitTaskPolicy').Roles)).toMatch(/OrbitTaskRole/);
    expect(JSON.stringify(managedPolicyOf(prod.t, 'AxonTaskPolicy').Roles)).toMatch(/AxonTaskRole/);
    const security = JSON.stringify(prod.template('Security').toJSON());
    expect(security).not.toContain('Fn::GetStackOutput');
  });
});

describe('ServicesStack: Service Connect TLS', () => {
  const tlsOf = (t: Template, name: string) =>
    serviceNamed(t, name).ServiceConnectConfiguration.Services?.[0]?.Tls;

  it('encrypts Orbit → Axon in prod: Axon serves TLS from the short-lived Private CA, with its key and role', () => {
    const ca = logicalIdOf(prod.t, 'AWS::ACMPCA::CertificateAuthority', () => true);
    const key = logicalIdOf(prod.t, 'AWS::KMS::Key', (r) =>
      JSON.stringify(r.Properties.Description).includes('Service Connect TLS'),
    );
    const role = logicalIdOf(
      prod.t,
      'AWS::IAM::Role',
      (r) => r.Properties.RoleName === 'axon-orbit-prod-service-connect-tls',
    );
    prod.t.hasResourceProperties('AWS::ACMPCA::CertificateAuthority', {
      Type: 'ROOT',
      UsageMode: 'SHORT_LIVED_CERTIFICATE',
      Subject: Match.objectLike({ CommonName: 'axon-orbit-prod.internal' }),
    });
    expect(tlsOf(prod.t, 'axon-orbit-prod-axon')).toEqual({
      IssuerCertificateAuthority: { AwsPcaAuthorityArn: { 'Fn::GetAtt': [ca, 'Arn'] } },
      KmsKey: { 'Fn::GetAtt': [key, 'Arn'] },
      RoleArn: { 'Fn::GetAtt': [role, 'Arn'] },
    });
    // The client side needs nothing: Orbit's Service Connect proxy originates TLS to a TLS service.
    expect(
      serviceNamed(prod.t, 'axon-orbit-prod-orbit').ServiceConnectConfiguration.Services,
    ).toBeUndefined();
  });

  it('creates Axon only after the CA is active and the role and key exist', () => {
    const axon = resources(prod.t, 'AWS::ECS::Service').find(
      ([, r]) => r.Properties.ServiceName === 'axon-orbit-prod-axon',
    )?.[1];
    const activation = logicalIdOf(prod.t, 'AWS::ACMPCA::CertificateAuthorityActivation', () => true);
    const role = logicalIdOf(
      prod.t,
      'AWS::IAM::Role',
      (r) => r.Properties.RoleName === 'axon-orbit-prod-service-connect-tls',
    );
    expect(axon?.DependsOn).toEqual(expect.arrayContaining([activation, role]));
  });

  it('gives no task role any use of the TLS key', () => {
    const key = logicalIdOf(prod.t, 'AWS::KMS::Key', (r) =>
      JSON.stringify(r.Properties.Description).includes('Service Connect TLS'),
    );
    const mentions = [
      ...resources(prod.t, 'AWS::IAM::Policy'),
      ...resources(prod.t, 'AWS::IAM::ManagedPolicy'),
    ].filter(([, r]) => JSON.stringify(r.Properties).includes(key));
    expect(mentions).toEqual([]);
  });

  it('is off in dev: no CA (and its monthly price), Axon serves plain HTTP inside the VPC', () => {
    dev.t.resourceCountIs('AWS::ACMPCA::CertificateAuthority', 0);
    expect(tlsOf(dev.t, 'axon-orbit-dev-axon')).toBeUndefined();
  });
});

describe('ServicesStack: outputs', () => {
  it('tells an operator where everything is', () => {
    const outputs = Object.keys(prod.t.toJSON().Outputs ?? {});
    expect(outputs).toEqual(
      expect.arrayContaining([
        'OrbitUrl',
        'AlbDnsName',
        'ClusterName',
        'OrbitServiceName',
        'AxonServiceName',
        'GovernanceFunctionName',
        'OrbitRepositoryUri',
        'AxonRepositoryUri',
      ]),
    );
    prod.t.hasOutput('ImageSource', { Value: `ecr:${IMAGE_TAG}` });
  });
});

describe('ServicesStack: images built from source', () => {
  const asset = buildEnvironments(['dev']).dev;
  if (!asset) throw new Error('no dev environment');
  const manifest = JSON.parse(
    readFileSync(
      join(asset.stack('Services').assembly.directory, `${asset.stack('Services').id}.assets.json`),
      'utf8',
    ),
  ) as {
    dockerImages: Record<
      string,
      {
        source: {
          directory: string;
          dockerFile: string;
          platform: string;
          dockerBuildArgs: Record<string, string>;
        };
      }
    >;
  };

  it('stages each service from the one Dockerfile, with the repository root as context, for arm64', () => {
    const sources = Object.values(manifest.dockerImages).map((i) => i.source);
    const byService = (s: { dockerBuildArgs: Record<string, string> }) => s.dockerBuildArgs.SERVICE ?? '';
    expect(
      [...sources]
        .sort((a, b) => byService(a).localeCompare(byService(b)))
        .map((s) => [s.dockerFile, s.dockerBuildArgs]),
    ).toEqual([
      ['services/Dockerfile', { SERVICE: 'axon', PORT: String(asset.config.ports.axon) }],
      ['services/Dockerfile', { SERVICE: 'orbit', PORT: String(asset.config.ports.orbit) }],
    ]);
    for (const source of sources) {
      expect(source.platform).toBe('linux/arm64');
      const staged = join(asset.stack('Services').assembly.directory, source.directory);
      expect(existsSync(join(staged, source.dockerFile))).toBe(true);
      expect(existsSync(join(staged, 'package-lock.json'))).toBe(true);
      expect(existsSync(join(staged, 'node_modules'))).toBe(false);
      expect(existsSync(join(staged, 'cdk.out'))).toBe(false);
    }
  });

  it('points the task definitions at the CDK container assets', () => {
    const images = resources(asset.servicesTemplate, 'AWS::ECS::TaskDefinition').map(([, r]) =>
      JSON.stringify((r.Properties as Cfn).ContainerDefinitions[0].Image),
    );
    for (const image of images) expect(image).toMatch(/container-assets/);
    asset.servicesTemplate.hasOutput('ImageSource', { Value: 'asset:services/Dockerfile' });
  });
});
