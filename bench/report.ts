/** One line of a benchmark table: a named figure and, where there is one, its baseline in the same run. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly value: number };
}

export function printTable(title: string, figures: readonly Figure[]): void {
  console.log(`\n${title}`);
  const rows = figures.map((f) => {
    const ratio = f.baseline ? `${(f.value / f.baseline.value).toFixed(2)}× ${f.baseline.name}` : '';
    return [f.name, `${format(f.value)} ${f.unit}`, ratio];
  });
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const row of rows)
    console.log(`  ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd());
}

function format(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 3);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}
