import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  BUNDLED_HANDLER,
  bundledHandlerCode,
  DECISION_BUNDLING,
  LAMBDA_BUNDLING,
  type LambdaBundling,
} from '../lib/constructs/lambda-bundle.js';

const ENTRY = fileURLToPath(new URL('./fixtures/lambda/handler.ts', import.meta.url));
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Synthesizes the fixture handler into `stages` stages of one app; each stage's template and the app's directory. */
function synth(bundling: LambdaBundling, stages: readonly string[]) {
  const outdir = mkdtempSync(join(tmpdir(), 'lambda-bundle-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stacks = stages.map((name) => {
    const stack = new Stack(new Stage(app, name), 'Functions');
    new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: BUNDLED_HANDLER,
      code: bundledHandlerCode(ENTRY, bundling),
    });
    return stack;
  });
  app.synth();
  return { outdir, templates: stacks.map((stack) => Template.fromStack(stack)) };
}

function assetDirs(outdir: string): string[] {
  return readdirSync(outdir).filter((name) => name.startsWith('asset.'));
}

describe('bundledHandlerCode', () => {
  const { outdir, templates } = synth(LAMBDA_BUNDLING, ['one', 'two']);

  it('bundles a handler once however many stages deploy it', () => {
    const keys = templates.map((template) => {
      const [fn] = Object.values(template.findResources('AWS::Lambda::Function')) as {
        Properties: { Code: { S3Key: string } };
      }[];
      return fn?.Properties.Code.S3Key;
    });
    expect(keys[0]).toEqual(keys[1]);
    expect(assetDirs(outdir)).toEqual([`asset.${keys[0]?.replace(/\.zip$/, '')}`]);
  });

  it('builds an ESM bundle with a source map that answers as the handler', async () => {
    const dir = join(outdir, assetDirs(outdir)[0] as string);
    expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as {
      sourcesContent?: unknown[];
    };
    expect(map.sourcesContent?.length).toBeGreaterThan(0);
    const bundle = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as {
      handler: (event: { text: string }) => Promise<unknown>;
    };
    await expect(bundle.handler({ text: 'abc' })).resolves.toEqual({
      digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      maxDepth: 32,
    });
  });

  it("leaves the sources' text out of the decision function's source map", () => {
    const { outdir: decisionOut } = synth(DECISION_BUNDLING, ['one']);
    const [dir] = assetDirs(decisionOut);
    const map = JSON.parse(readFileSync(join(decisionOut, dir as string, 'index.mjs.map'), 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown[];
    };
    expect(map.sources.some((source) => source.endsWith('fixtures/lambda/handler.ts'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
  });
});
