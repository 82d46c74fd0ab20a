import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../lib/config/index.js';
import { sharedAssembly } from '../../test/support/assembly.js';
import { SHARED_PROCESS_ENV } from '../../test/support/platform.js';
import { planOfTemplates, stageOfAssembly } from './plan.js';
import { RESOURCES } from './resources.js';

describe('deploy plan of dev, from a fresh synth of this checkout (the shared assembly)', () => {
  const config = loadConfig('dev', SHARED_PROCESS_ENV);
  const stage = stageOfAssembly(sharedAssembly().stage('dev'));
  const plan = {
    bootstrapVersion: stage.bootstrapVersion,
    ...planOfTemplates(stage.stacks.map((s) => s.template)),
  };

  it('reads the account-facing quantities from the templates', () => {
    expect(plan.bootstrapVersion).toBeGreaterThanOrEqual(6);
    expect(plan.natGateways).toBe(config.network.natGateways);
    expect(plan.interfaceEndpoints).toBeGreaterThan(0);
    expect(plan.availabilityZones).toHaveLength(3);
    expect(plan.costAllocationTags).toEqual(['environment']);
    expect(plan.reservedConcurrency).toContainEqual({
      functionName: `${config.prefix}-governance-decide`,
      reserved: config.governance.reservedConcurrency,
    });
    // Blue/green runs a full green set beside blue: twice the maximum task count at the peak.
    expect(plan.fargateServices).toEqual(
      expect.arrayContaining([
        {
          serviceName: `${config.prefix}-orbit`,
          vcpuPerTask: config.orbit.cpu / 1024,
          peakTasks: 2 * config.orbit.maxTasks,
        },
        {
          serviceName: `${config.prefix}-axon`,
          vcpuPerTask: config.axon.cpu / 1024,
          peakTasks: 2 * config.axon.maxTasks,
        },
      ]),
    );
  });

  it('finds every resource the commands look up exactly once in its stack', () => {
    for (const [name, spec] of Object.entries(RESOURCES)) {
      const stack = stage.stacks.find((s) => s.stackName === `${config.prefix}-${spec.stack}`);
      const matches = Object.entries(stack?.template.Resources ?? {}).filter(
        ([id, r]) => r.Type === spec.type && spec.logicalId.test(id),
      );
      expect([name, matches.length]).toEqual([name, 1]);
    }
  });
});

describe('plan of templates', () => {
  it('counts only interface endpoints, not gateway ones', () => {
    const plan = planOfTemplates([
      {
        Resources: {
          S3: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway' } },
          Kms: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface' } },
        },
      },
    ]);
    expect(plan.interfaceEndpoints).toBe(1);
  });
});
