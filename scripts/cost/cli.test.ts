import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { run } from './cli.js';

const FIXTURE = new URL('./fixtures/app/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'cost-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The fixture app as stage `dev` of an assembly, optionally edited (template → template). */
function devAssembly(
  name: string,
  edit: (template: { Resources: Record<string, unknown> }) => void = () => {},
  region = 'us-east-1',
) {
  const dir = join(work, name);
  cpSync(FIXTURE, dir, { recursive: true });
  const manifestFile = join(dir, 'manifest.json');
  writeFileSync(
    manifestFile,
    readFileSync(manifestFile, 'utf8').replaceAll('assembly-fixture', 'assembly-dev'),
  );
  cpSync(join(dir, 'assembly-fixture'), join(dir, 'assembly-dev'), { recursive: true });
  rmSync(join(dir, 'assembly-fixture'), { recursive: true });
  const stageManifest = join(dir, 'assembly-dev', 'manifest.json');
  writeFileSync(stageManifest, readFileSync(stageManifest, 'utf8').replaceAll('us-east-1', region));
  const templateFile = join(dir, 'assembly-dev', 'fixtureBase.template.json');
  const template = JSON.parse(readFileSync(templateFile, 'utf8'));
  edit(template);
  writeFileSync(templateFile, JSON.stringify(template));
  return dir;
}

function cost(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = run(
    args,
    (text) => out.push(text),
    (text) => err.push(text),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run cost', () => {
  const base = devAssembly('base');

  it('prints the table per type and stack, the unpriced resources and the total with what dominates', () => {
    const { code, out } = cost('--env', 'dev', '--assembly', base);
    expect(code).toBe(0);
    expect(out).toContain('Monthly cost of dev (us-east-1)');
    expect(out).toMatch(/AWS::ECS::Service\s+1\s+\$/);
    expect(out).toContain('Unpriced (present, not in the model): AWS::SQS::Queue × 1');
    expect(out).toMatch(/Total: \$[\d,.]+ per month — dominated by AWS::ECS::Service/);
  });

  it('--json gives the total in cents and every line item', () => {
    const { code, out } = cost('--env', 'dev', '--assembly', base, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as { total: number; lines: unknown[]; unpriced: unknown[] };
    expect(report.total).toBe(Math.round(report.total * 100) / 100);
    expect(report.lines.length).toBeGreaterThan(30);
  });

  it.each([
    [['--env', 'qa'], 'cost: unknown environment qa; expected one of dev, staging, prod'],
    [
      ['--env', 'dev', '--assembly', join(work, 'missing')],
      `cost: no cloud assembly at ${join(work, 'missing')}`,
    ],
    [['--env', 'prod', '--assembly', base], 'cost: no stage prod in'],
    [['--env', 'dev', '--assembly', base, '--usage', join(work, 'none.json')], 'does not exist'],
    [['--env', 'dev', '--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j with one clear line and exit 2', (args, message) => {
    const { code, err, out } = cost(...(args as string[]));
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n')[0]).toContain(message);
  });

  it('refuses a region without a price table', () => {
    const frankfurt = devAssembly('frankfurt', () => {}, 'eu-central-1');
    const { code, err } = cost('--env', 'dev', '--assembly', frankfurt);
    expect(code).toBe(2);
    expect(err).toBe(
      'cost: no price table for region eu-central-1; tables exist for eu-west-1, us-east-1 (scripts/cost/prices/README.md says how to add one)',
    );
  });

  it('refuses a malformed usage file naming the field', () => {
    const file = join(work, 'bad-usage.json');
    writeFileSync(file, JSON.stringify({ natGbPerMonth: 'lots' }));
    const { code, err } = cost('--env', 'dev', '--assembly', base, '--usage', file);
    expect(code).toBe(2);
    expect(err).toBe(`cost: usage file ${file}: natGbPerMonth must be a number`);
  });

  it('--diff --markdown shows base, head and delta per environment and the lines that changed', () => {
    const head = devAssembly('head', (template) => {
      delete template.Resources.Nat;
    });
    const { code, out } = cost('--diff', '--base', base, '--head', head, '--markdown');
    expect(code).toBe(0);
    const total = (dir: string) =>
      (JSON.parse(cost('--env', 'dev', '--assembly', dir, '--json').out) as { total: number }).total;
    // Removing the NAT gateway saves its hours and the dev default NAT data (5 GB) at us-east-1 prices.
    const saved = 730 * 0.045 + 5 * 0.045;
    expect(out).toContain('## Monthly cost estimate');
    expect(total(base) - total(head)).toBeCloseTo(saved, 1);
    expect(out).toContain(
      `| dev | $${total(base).toFixed(2)} | $${total(head).toFixed(2)} | −$${(total(base) - total(head)).toFixed(2)} |`,
    );
    expect(out).toContain('### dev');
    expect(out).toContain('| fx-base · Nat · gateway hours | $32.85 | $0.00 | −$32.85 |');
  });
});
