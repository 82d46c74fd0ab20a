/**
 * The governance handler runs inside the suite's own process. In AWS its EMF metric lines and
 * Powertools' "no application metrics" warning go to CloudWatch; here they would bury the result
 * table, so those lines (and only those) are dropped from this process's stdout and stderr.
 */
const NOISE = [/^\{"_aws":/, /^No application metrics to publish/];
let installed = false;

export function silenceLambdaTelemetry(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
      if (NOISE.some((pattern) => pattern.test(text))) {
        const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        done?.();
        return true;
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}
