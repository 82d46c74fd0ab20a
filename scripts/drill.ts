import { AwsClients } from './ops/aws.js';
import { runCommand } from './ops/cli.js';
import { createDrillCommand, ForcedAlarms } from './ops/drill-checks.js';
import { systemClock } from './ops/poll.js';

const forced = new ForcedAlarms();
// An interrupted drill must not leave an alarm forced in ALARM: reset it before exiting.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    forced.resetAll().then(
      (names) => {
        if (names.length > 0) console.error(`drill: interrupted; reset to OK: ${names.join(', ')}`);
        process.exit(130);
      },
      (thrown: unknown) => {
        console.error(`drill: interrupted; could not reset every alarm to OK: ${String(thrown)}`);
        process.exit(1);
      },
    );
  });
}

process.exitCode = await runCommand(createDrillCommand(forced), process.argv.slice(2), {
  env: process.env,
  clients: (region) => new AwsClients({ region }),
  clock: systemClock,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
