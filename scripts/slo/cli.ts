import { parseArgs } from 'node:util';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { findLoadBalancer, measure, SloDataError } from '../../lambdas/slo-report/cloudwatch.js';
import { evaluateSlo } from '../../lambdas/slo-report/compute.js';
import { formatReport, reportDocument } from '../../lambdas/slo-report/format.js';
import { BASE_CONFIGS, isEnvironmentName, type ProcessEnv } from '../../lib/config/index.js';

export const EXIT = { compliant: 0, breached: 1, usage: 2 } as const;
const MAX_DAYS = 90;

export const USAGE = `usage: npm run slo-report -- --env <dev|staging|prod> [--days N] [--end ISO-8601] [--json]

Computes SLO compliance of the Orbit dispatch path from the internal ALB's CloudWatch metrics.
  --env    environment whose SLO targets (lib/config) and load balancer to use
  --days   window length in days, 1-${MAX_DAYS} (default 7)
  --end    end of the window (default: now, rounded down to the hour)
  --json   machine-readable output
exit codes: 0 all objectives met, 1 an objective was missed, 2 usage, configuration or data error`;

export interface SloCliDeps {
  readonly env: ProcessEnv;
  readonly now: () => Date;
  readonly client: (region: string) => CloudWatchClient;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

class UsageError extends Error {}

function parse(argv: readonly string[], now: Date) {
  let values: { env?: string; days?: string; end?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        env: { type: 'string' },
        days: { type: 'string', default: '7' },
        end: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  if (!values.env) throw new UsageError('--env is required');
  if (!isEnvironmentName(values.env))
    throw new UsageError(`--env "${values.env}" is not one of dev, staging, prod`);
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new UsageError(`--days must be an integer from 1 to ${MAX_DAYS}, got "${values.days}"`);
  }
  let end = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
  if (values.end !== undefined) {
    end = new Date(values.end);
    if (Number.isNaN(end.getTime())) throw new UsageError(`--end "${values.end}" is not an ISO-8601 date`);
  }
  return { env: values.env, days, end, json: values.json ?? false };
}

export async function runSloReport(argv: readonly string[], deps: SloCliDeps): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv, deps.now());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    deps.err(`slo-report: ${error.message}\n${USAGE}`);
    return EXIT.usage;
  }
  if (!args) {
    deps.out(USAGE);
    return EXIT.compliant;
  }

  try {
    // Only what the report needs: deploy-time settings (account, certificate) are not required here.
    const config = BASE_CONFIGS[args.env];
    const region = deps.env[`${args.env.toUpperCase()}_REGION`] ?? config.defaultRegion;
    const client = deps.client(region);
    const loadBalancer = await findLoadBalancer(client, `${config.prefix}-orbit`);
    const data = await measure(client, loadBalancer, args.end, args.days);
    const report = evaluateSlo(config.observability.slo, data.window);
    const start = new Date(args.end.getTime() - args.days * 86_400_000);
    const scope = { environment: args.env, start, end: args.end, loadBalancer };

    const lines = args.json
      ? [JSON.stringify(reportDocument(scope, report, data.days), null, 2)]
      : formatReport(scope, report, data.days);
    for (const line of lines) deps.out(line);
    return report.compliant ? EXIT.compliant : EXIT.breached;
  } catch (error) {
    if (error instanceof SloDataError) {
      deps.err(`slo-report: ${error.message}`);
      return EXIT.usage;
    }
    const name = (error as { name?: string }).name ?? 'Error';
    deps.err(`slo-report: CloudWatch request failed (${name}): ${(error as Error).message}`);
    return EXIT.usage;
  }
}
