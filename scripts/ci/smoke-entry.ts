import { runSmoke, smokeOptionsFromEnv } from './smoke.js';

/**
 * Entry point bundled by smoke-ecs.sh into one script and run as `node -e` in a one-off Orbit task:
 * one JSON line per check on stdout (it lands in Orbit's log group), exit code 0 only if all passed.
 */
try {
  const results = await runSmoke(smokeOptionsFromEnv(process.env));
  for (const result of results) console.log(JSON.stringify({ smoke: result }));
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
} catch (error) {
  console.error(JSON.stringify({ smoke: { check: 'setup', ok: false, detail: (error as Error).message } }));
  process.exitCode = 2;
}
