const DAY_MS = 86_400_000;
const WEEK = /^(\d{4})-W(\d{2})$/;

/** Monday 00:00 UTC of the ISO 8601 week that contains `date`. */
export function startOfIsoWeek(date: Date): Date {
  const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const daysSinceMonday = (date.getUTCDay() + 6) % 7;
  return new Date(midnight - daysSinceMonday * DAY_MS);
}

/** `YYYY-Www` of the ISO week that contains `date`; the year is that of the week's Thursday. */
export function isoWeekOf(date: Date): string {
  const thursday = new Date(startOfIsoWeek(date).getTime() + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Monday 00:00 UTC of the week `YYYY-Www`; throws a `RangeError` naming what is wrong. */
export function parseIsoWeek(label: string): Date {
  const match = WEEK.exec(label);
  if (!match) throw new RangeError(`"${label}" is not an ISO week (YYYY-Www, e.g. 2026-W47)`);
  const [year, week] = [Number(match[1]), Number(match[2])];
  // Week 1 is the week with January 4th in it.
  const start = new Date(startOfIsoWeek(new Date(Date.UTC(year, 0, 4))).getTime() + (week - 1) * 7 * DAY_MS);
  if (week < 1 || isoWeekOf(start) !== label) throw new RangeError(`${year} has no ISO week ${week}`);
  return start;
}
