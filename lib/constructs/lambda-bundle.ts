import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, type ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BuildOptions, buildSync } from 'esbuild';

/** How a platform Lambda's handler is bundled: esbuild's own options, apart from what and where. */
export type LambdaBundling = Readonly<
  Pick<
    BuildOptions,
    'format' | 'target' | 'minify' | 'sourcemap' | 'sourcesContent' | 'mainFields' | 'external' | 'banner'
  >
>;

/** How every platform Lambda is bundled; the governance bench builds its cold-start artifact with these too. */
export const LAMBDA_BUNDLING = {
  format: 'esm',
  target: 'node24',
  minify: true,
  sourcemap: true,
  mainFields: ['module', 'main'],
  // The runtime provides the AWS SDK clients; everything else the code imports directly
  // (e.g. @smithy/signature-v4) is bundled rather than left to whatever the runtime ships.
  external: ['@aws-sdk/*'],
  // Some AWS SDK dependencies still call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
} as const satisfies LambdaBundling;

/**
 * The governance decision function sits on every dispatch's path, so its cold start counts: its
 * source map leaves out the sources' text (1 MB of 1.3 MB), which Node reads and parses at import
 * under `--enable-source-maps`. Stack traces still name each TypeScript file, line and function
 * from the mappings; only the excerpt of the source line Node prints for an uncaught error needs
 * the text, and the Lambda runtime logs errors as JSON without it.
 */
export const DECISION_BUNDLING = {
  ...LAMBDA_BUNDLING,
  sourcesContent: false,
} as const satisfies LambdaBundling;

/** The bundle's file; the function's handler setting names it (`index.handler`). */
const BUNDLE_FILE = 'index.mjs';

/** The Lambda handler setting for a bundle whose entry exports `handler`. */
export const BUNDLED_HANDLER = 'index.handler';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The whole esbuild build of `entry` (a TypeScript handler module) into `outfile`. */
export function lambdaBuildOptions(entry: string, outfile: string, bundling: LambdaBundling): BuildOptions {
  return {
    ...bundling,
    mainFields: bundling.mainFields ? [...bundling.mainFields] : undefined,
    external: bundling.external ? [...bundling.external] : undefined,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    absWorkingDir: REPO_ROOT,
    logLevel: 'warning',
  };
}

/**
 * Bundles in this process through esbuild's API. Its fields are part of the asset's cache key, so a
 * handler is bundled once per synth however many stages deploy it.
 */
class EsbuildBundling implements ILocalBundling {
  constructor(
    readonly entry: string,
    readonly bundling: LambdaBundling,
  ) {}

  tryBundle(outputDir: string): boolean {
    buildSync(lambdaBuildOptions(this.entry, join(outputDir, BUNDLE_FILE), this.bundling));
    return true;
  }
}

/**
 * A Lambda handler module bundled by esbuild, the same build NodejsFunction runs locally, without
 * its `npx --no-install esbuild` per function: npm's start costs ~0.5 s of wall and CPU time each
 * (aws/aws-cdk#37380, open), most of the synth's Lambda bundling.
 */
export function bundledHandlerCode(entry: string, bundling: LambdaBundling): lambda.Code {
  return lambda.Code.fromAsset(REPO_ROOT, {
    // As NodejsFunction's: the default (the source's) would fingerprint the whole repository.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type, never run: esbuild is this project's own dependency, so the local
      // build either succeeds or fails with esbuild's message.
      image: lambda.Runtime.NODEJS_24_X.bundlingImage,
      local: new EsbuildBundling(entry, bundling),
    },
  });
}
