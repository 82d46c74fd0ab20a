/**
 * `npm run resilience`: runs every scenario against the platform on loopback and prints a table.
 *   npm run resilience                    all scenarios, full size
 *   npm run resilience -- --short         the small variants `npm test` runs
 *   npm run resilience -- load fuzz       only the named scenarios
 * Exits non-zero if a scenario fails. A hard deadline stops the run (and its processes) regardless.
 */
import { formatTable, passed, type ScenarioResult, type Size } from './harness/scenario.js';
import { SCENARIOS } from './scenarios/index.js';

const DEADLINE_MS = 9.5 * 60 * 1000;

const args = process.argv.slice(2);
const size: Size = args.includes('--short') ? 'short' : 'full';
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length > 0) {
  console.error(
    `unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.map((s) => s.name).join(', ')}`,
  );
  process.exit(2);
}
const selected = names.length > 0 ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;

setTimeout(() => {
  console.error(`resilience: deadline of ${DEADLINE_MS / 1000} s passed; stopping`);
  process.exit(1);
}, DEADLINE_MS).unref();

const results: ScenarioResult[] = [];
const started = performance.now();
for (const scenario of selected) {
  console.log(`▶ ${scenario.name}: ${scenario.description} (${size})`);
  const t0 = performance.now();
  let result: ScenarioResult;
  try {
    const outcome = await scenario.run(size);
    result = { name: scenario.name, ...outcome, elapsedMs: performance.now() - t0 };
  } catch (error) {
    result = {
      name: scenario.name,
      figures: [],
      checks: [{ name: 'scenario ran', ok: false, detail: (error as Error).stack ?? String(error) }],
      elapsedMs: performance.now() - t0,
    };
  }
  results.push(result);
  console.log(
    `  ${passed(result) ? 'PASS' : 'FAIL'} ${result.figures.map(([k, v]) => `${k} ${v}`).join('; ')}`,
  );
  for (const c of result.checks) console.log(`    ${c.ok ? '✓' : '✗'} ${c.name} — ${c.detail}`);
}

console.log(`\nresilience suite (${size}, ${((performance.now() - started) / 1000).toFixed(0)} s):\n`);
console.log(formatTable(results));
const failed = results.filter((r) => !passed(r)).length;
console.log(`\nresilience: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
