import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import {
  ENVIRONMENT_NAMES,
  type EnvironmentName,
  loadConfig,
  type ProcessEnv,
} from '../../lib/config/index.js';
import { PlatformStage } from '../../lib/platform-stage.js';

/** What CI would export: a prod account and the ALB certificates of the HTTPS-only environments. */
export const TEST_PROCESS_ENV: ProcessEnv = {
  PROD_ACCOUNT_ID: '123456789012',
  STAGING_CERTIFICATE_ARN:
    'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
  PROD_CERTIFICATE_ARN: 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
};

export const ALARM_WEBHOOK_URL = 'https://events.pagerduty.example/integration/abc123/enqueue';
export const GITHUB_REPOSITORY = 'acme/axon-orbit';
export const STAGING_OIDC_PROVIDER_ARN =
  'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';

/**
 * What the shared assembly is synthesized with: CI's exports, plus what turns on the optional parts
 * so they are built and held to the rules too: a prod alarm webhook, the GitHub repository (a
 * `cicd-<env>` stage per environment) and an existing OIDC provider in staging.
 */
export const SHARED_PROCESS_ENV: ProcessEnv = {
  ...TEST_PROCESS_ENV,
  PROD_ALARM_WEBHOOK_URL: ALARM_WEBHOOK_URL,
  GITHUB_REPOSITORY,
  STAGING_GITHUB_OIDC_PROVIDER_ARN: STAGING_OIDC_PROVIDER_ARN,
};

/** The feature flags of cdk.json, so tests synthesize exactly what `cdk synth` does. */
export function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export interface BuildOptions {
  readonly envs?: readonly EnvironmentName[];
  readonly processEnv?: ProcessEnv;
  /** Skip Lambda bundling when only template shape matters (bundling costs seconds per function). */
  readonly bundle?: boolean;
}

export function buildPlatform(options: BuildOptions = {}): {
  app: App;
  stages: Record<string, PlatformStage>;
} {
  const context: Record<string, unknown> = { ...cdkContext() };
  if (options.bundle === false) context['aws:cdk:bundling-stacks'] = [];
  const app = new App({ context, outdir: mkdtempSync(join(tmpdir(), 'cdk-test-')) });
  const stages: Record<string, PlatformStage> = {};
  for (const name of options.envs ?? ENVIRONMENT_NAMES) {
    stages[name] = new PlatformStage(app, name, {
      config: loadConfig(name, options.processEnv ?? TEST_PROCESS_ENV),
    });
  }
  return { app, stages };
}

export interface Violation {
  readonly rule: string;
  readonly path: string;
  readonly description: string;
}

/**
 * The findings of the validation report a synth wrote into its cloud assembly directory, or
 * undefined when it wrote none (no rule ran).
 */
export function reportedViolations(outdir: string): Violation[] | undefined {
  let report: {
    pluginReports: {
      pluginName: string;
      conclusion: string;
      metadata?: { error?: string };
      violations: {
        ruleName: string;
        description: string;
        violatingConstructs: { constructPath: string }[];
      }[];
    }[];
  };
  try {
    report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
  } catch {
    return undefined;
  }
  return report.pluginReports.flatMap((plugin) =>
    // A plugin that crashed reports no violation, only its error: that must not read as clean.
    plugin.metadata?.error
      ? [{ rule: `${plugin.pluginName} failed`, path: '', description: plugin.metadata.error }]
      : plugin.violations.flatMap((v) =>
          (v.violatingConstructs.length > 0
            ? v.violatingConstructs
            : [{ constructPath: '(no construct)' }]
          ).map((c) => ({ rule: v.ruleName, path: c.constructPath, description: v.description })),
        ),
  );
}
