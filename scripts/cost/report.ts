import type { Estimate } from './estimate.js';
import type { LineItem } from './model.js';

const usd = (amount: number) =>
  `$${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const signed = (amount: number) => `${amount < 0 ? '−' : '+'}${usd(Math.abs(amount))}`;
/** Cents, the precision every total is reported (and tested) at. */
export const cents = (amount: number) => Math.round(amount * 100) / 100;

function quantity(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(3)).toString();
}

function unitPrice(value: number): string {
  return value >= 0.01
    ? `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 5 })}`
    : `$${value.toPrecision(3)}`;
}

export interface Group {
  readonly name: string;
  readonly resources: number;
  readonly monthly: number;
}

function groupBy(lines: readonly LineItem[], name: (line: LineItem) => string): Group[] {
  const groups = new Map<string, { resources: Set<string>; monthly: number }>();
  for (const line of lines) {
    const group = groups.get(name(line)) ?? { resources: new Set<string>(), monthly: 0 };
    group.resources.add(`${line.stack}/${line.logicalId}`);
    group.monthly += line.monthly;
    groups.set(name(line), group);
  }
  return [...groups]
    .map(([groupName, group]) => ({
      name: groupName,
      resources: group.resources.size,
      monthly: group.monthly,
    }))
    .sort((a, b) => b.monthly - a.monthly);
}

export const byType = (estimate: Estimate) => groupBy(estimate.lines, (line) => line.type);
export const byStack = (estimate: Estimate) => groupBy(estimate.lines, (line) => line.stack);

/** "NAT … (41 %), …": the resource types that make up most of the bill. */
export function dominatedBy(estimate: Estimate, count = 3): string {
  return byType(estimate)
    .slice(0, count)
    .map(
      (group) =>
        `${group.name} ${usd(group.monthly)} (${Math.round((100 * group.monthly) / estimate.total)} %)`,
    )
    .join(', ');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const numeric = (column: number) => rows.every((row) => /^[−+$\d.,%\s-]*$/.test(row[column] ?? ''));
  const format = (row: string[]) =>
    row
      .map((cell, column) =>
        numeric(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ');
  return [format(header), widths.map((width) => '─'.repeat(width)).join('  '), ...rows.map(format)].join(
    '\n',
  );
}

/** The human-readable report: per type, per stack, every line item, the unpriced resources, the total. */
export function formatText(estimate: Estimate): string {
  const unpriced = estimate.unpriced.map((entry) => `${entry.type} × ${entry.count}`).join(', ') || 'none';
  return [
    `Monthly cost of ${estimate.env} (${estimate.region}), USD, 730 h/month, list prices as of ${estimate.pricesAsOf}, no free tier`,
    '',
    'By resource type',
    table(
      ['type', 'resources', 'monthly'],
      byType(estimate).map((group) => [group.name, String(group.resources), usd(group.monthly)]),
    ),
    '',
    'By stack',
    table(
      ['stack', 'resources', 'monthly'],
      byStack(estimate).map((group) => [group.name, String(group.resources), usd(group.monthly)]),
    ),
    '',
    'Line items (by cost)',
    table(
      ['stack', 'resource', 'item', 'quantity', 'unit price', 'monthly'],
      estimate.lines.map((line) => [
        line.stack,
        line.logicalId,
        line.item,
        quantity(line.quantity),
        unitPrice(line.unitPrice),
        usd(line.monthly),
      ]),
    ),
    '',
    `Unpriced (present, not in the model): ${unpriced}`,
    `Total: ${usd(estimate.total)} per month — dominated by ${dominatedBy(estimate)}`,
  ].join('\n');
}

export function toJson(estimate: Estimate): object {
  return {
    env: estimate.env,
    region: estimate.region,
    currency: 'USD',
    pricesAsOf: estimate.pricesAsOf,
    total: cents(estimate.total),
    byType: byType(estimate).map((group) => ({ ...group, monthly: cents(group.monthly) })),
    byStack: byStack(estimate).map((group) => ({ ...group, monthly: cents(group.monthly) })),
    lines: estimate.lines,
    unpriced: estimate.unpriced,
  };
}

const lineKey = (line: LineItem) =>
  `${line.stack} · ${line.logicalId} · ${line.item.replace(/\s*\(.*\)$/, '')}`;

/** The line items whose monthly cost changed most between two estimates of the same environment. */
export function changedLines(base: Estimate | undefined, head: Estimate | undefined, count = 5) {
  const sums = new Map<string, { base: number; head: number }>();
  for (const [side, estimate] of [
    ['base', base],
    ['head', head],
  ] as const) {
    for (const line of estimate?.lines ?? []) {
      const entry = sums.get(lineKey(line)) ?? { base: 0, head: 0 };
      entry[side] += line.monthly;
      sums.set(lineKey(line), entry);
    }
  }
  return [...sums]
    .map(([key, entry]) => ({ key, ...entry, delta: entry.head - entry.base }))
    .filter((entry) => cents(entry.delta) !== 0)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))
    .slice(0, count);
}

export interface EnvironmentDiff {
  readonly env: string;
  readonly base: Estimate | undefined;
  readonly head: Estimate | undefined;
}

/** The pull-request comment section: per environment base, head, delta and the top changed lines. */
export function formatDiffMarkdown(diffs: readonly EnvironmentDiff[]): string {
  const rows = diffs.map(({ env, base, head }) => {
    // From the rounded totals, so the row adds up as printed.
    const delta = cents(head?.total ?? 0) - cents(base?.total ?? 0);
    return `| ${env} | ${base ? usd(base.total) : '—'} | ${head ? usd(head.total) : '—'} | ${signed(delta)} |`;
  });
  const sections = diffs.map(({ env, base, head }) => {
    const changed = changedLines(base, head);
    const unpriced = head?.unpriced.map((entry) => `${entry.type} × ${entry.count}`).join(', ');
    return [
      `### ${env}`,
      '',
      changed.length === 0
        ? 'No line item changed by a cent.'
        : [
            '| line item | base | head | delta |',
            '| --- | ---: | ---: | ---: |',
            ...changed.map(
              (entry) =>
                `| ${entry.key} | ${usd(entry.base)} | ${usd(entry.head)} | ${signed(entry.delta)} |`,
            ),
          ].join('\n'),
      ...(unpriced ? ['', `Unpriced in head: ${unpriced}`] : []),
    ].join('\n');
  });
  return [
    '## Monthly cost estimate',
    '',
    'List prices, 730 h/month, default usage per environment (`npm run cost -- --env <env>` for the full table).',
    '',
    '| environment | base | head | delta |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
    '',
    ...sections.flatMap((section) => [section, '']),
  ].join('\n');
}
