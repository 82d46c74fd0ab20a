import { AwsClients } from './ops/aws.js';
import { runCommand } from './ops/cli.js';
import { doctorCommand } from './ops/doctor-checks.js';
import { systemClock } from './ops/poll.js';

process.exitCode = await runCommand(doctorCommand, process.argv.slice(2), {
  env: process.env,
  clients: (region) => new AwsClients({ region }),
  clock: systemClock,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
