/** Time as the operator commands see it; tests pass a clock that does not wait. */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface PollOptions {
  readonly clock: Clock;
  readonly intervalMs: number;
  /** Gives up after this long; the caller decides what "no answer" means. */
  readonly timeoutMs: number;
}

/**
 * Asks `probe` until it returns a value or the time is up (then `undefined`). Bounded so a
 * command never hangs on an analysis or a notification that does not come.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  { clock, intervalMs, timeoutMs }: PollOptions,
): Promise<T | undefined> {
  const deadline = clock.now().getTime() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (clock.now().getTime() + intervalMs > deadline) return undefined;
    await clock.sleep(intervalMs);
  }
}
