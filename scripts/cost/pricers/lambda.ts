import type { LineItem, Pricer } from '../model.js';

/** Lambda requests and GB-seconds (arm64 or x86_64), and the log ingestion of functions without a log group in the template. */
export const lambdaPricer: Pricer = {
  types: ['AWS::Lambda::Function'],
  price(context) {
    const lines: LineItem[] = [];
    for (const fn of context.graph.ofType('AWS::Lambda::Function')) {
      const usage = context.volumes.functionUsage(fn);
      const invocations = context.volumes.invocations(fn);
      const memoryGb = Number(fn.properties.MemorySize ?? 128) / 1024;
      const arm = ((fn.properties.Architectures ?? ['x86_64']) as string[]).includes('arm64');
      lines.push(context.line(fn, 'requests', invocations, 'lambda.request'));
      lines.push(
        context.line(
          fn,
          `GB-seconds (${memoryGb * 1024} MB × ${usage.durationMs} ms, ${arm ? 'arm64' : 'x86_64'})`,
          invocations * (usage.durationMs / 1000) * memoryGb,
          arm ? 'lambda.arm64.gbSecond' : 'lambda.x86.gbSecond',
        ),
      );
      if (!context.volumes.functionLogGroup(fn)) {
        const gb = (invocations * usage.logBytesPerInvocation) / 1e9;
        lines.push(context.line(fn, 'log ingestion GB (implicit /aws/lambda group)', gb, 'logs.ingest.gb'));
      }
    }
    return { lines };
  },
};
