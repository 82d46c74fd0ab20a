import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { stackTemplate } from './support/assembly.js';

const DOCS = join(import.meta.dirname, '..', 'docs');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  return new Set([...withoutCode.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

function observabilityTemplate(): Template {
  return stackTemplate('dev', 'Observability');
}

describe('docs/runbook.md', () => {
  const runbook = readFileSync(join(DOCS, 'runbook.md'), 'utf8');
  const anchors = anchorsOf(runbook);

  it('has a section for every alarm the observability stack creates', () => {
    const template = observabilityTemplate();
    const descriptions = [
      ...Object.values(template.findResources('AWS::CloudWatch::Alarm')),
      ...Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')),
    ].map((r) =>
      JSON.stringify((r as { Properties?: { AlarmDescription?: unknown } }).Properties?.AlarmDescription),
    );
    const linked = descriptions.map((d) => /docs\/runbook\.md#([a-z0-9-]+)/.exec(d)?.[1]);
    expect(linked.length).toBeGreaterThan(10);
    expect(linked.filter((l) => l === undefined)).toEqual([]);
    expect([...new Set(linked)].filter((name) => name !== undefined && !anchors.has(name))).toEqual([]);
  });

  it('asks describe-alarms for composite alarms too (platform-unhealthy is one)', () => {
    const template = observabilityTemplate();
    expect(Object.keys(template.findResources('AWS::CloudWatch::CompositeAlarm')).length).toBeGreaterThan(0);
    const calls = [...runbook.matchAll(/aws cloudwatch describe-alarms((?:[^\n]*\\\n)*[^\n]*)/g)].map(
      (m) => m[1] ?? '',
    );
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call).toMatch(/--alarm-types MetricAlarm CompositeAlarm/);
  });

  it('links only to sections that exist, in every document', () => {
    const files = readdirSync(DOCS).filter((f) => f.endsWith('.md'));
    const sections = new Map(files.map((f) => [f, anchorsOf(readFileSync(join(DOCS, f), 'utf8'))]));
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(DOCS, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([a-z0-9-]*\.md)?#([^)\s]+)\)/g)) {
        const target = m[1] ?? file;
        if (!sections.get(target)?.has(m[2] ?? '')) broken.push(`${file}: ${m[0]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('links only to files that exist, in every document', () => {
    const files = readdirSync(DOCS).filter((f) => f.endsWith('.md'));
    const missing = files.flatMap((file) => {
      const text = readFileSync(join(DOCS, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      return [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
        .map((m) => m[1] ?? '')
        .filter((target) => !/^[a-z]+:/.test(target) && !existsSync(join(DOCS, target)))
        .map((target) => `${file}: ${target}`);
    });
    expect(missing).toEqual([]);
  });

  it('makes anchors the way GitHub does', () => {
    expect(slug('orbit-error-rate')).toBe('orbit-error-rate');
    expect(slug('Rotate the signing key by hand')).toBe('rotate-the-signing-key-by-hand');
    expect(slug('Orbit → Axon (SigV4), step 2.')).toBe('orbit--axon-sigv4-step-2');
  });
});
