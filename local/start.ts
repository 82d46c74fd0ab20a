import { spawnSync } from 'node:child_process';

/** Placeholder until the services land: synthesizes dev and summarizes what it would deploy. */
const result = spawnSync(
  'npx',
  ['cdk', 'synth', '--no-notices', '--quiet', '-c', 'env=dev', '--output', 'cdk.out'],
  {
    stdio: 'inherit',
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
  },
);
process.exit(result.status ?? 1);
