import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { runSloReport } from './slo/cli.js';

process.exitCode = await runSloReport(process.argv.slice(2), {
  env: process.env,
  now: () => new Date(),
  client: (region) => new CloudWatchClient({ region }),
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
