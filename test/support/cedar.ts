import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import type * as CedarWasm from '@cedar-policy/cedar-wasm/nodejs';
import {
  type AttributeCondition,
  type DecisionRequest,
  type PolicyDocument,
  type Scalar,
  type Statement,
  utcClock,
} from '../../lambdas/governance/engine/index.js';

/**
 * cedar-wasm's calls return externrefs (21 of its 30 exported functions, `statefulIsAuthorized`
 * among them). Node 20's V8 (11.3) inlines JS→wasm calls into optimized code, and aborts the
 * process ("Fatal error … unreachable code", SIGTRAP, in `Deoptimizer::DoComputeBuiltinContinuation`)
 * when such code is deoptimized while the call runs: it cannot rebuild an externref result. That
 * killed jest workers and benches at random; without the inlining there is no such frame to rebuild.
 * Set before cedar-wasm loads (test/wasm-deopt.test.ts).
 */
setFlagsFromString('--no-turbo-inline-js-wasm-calls');

/** cedar-wasm's Node build (CommonJS, loads its .wasm synchronously). */
export const cedar = createRequire(import.meta.url)('@cedar-policy/cedar-wasm/nodejs') as typeof CedarWasm;

/**
 * Translation of our policy language into Cedar, used as an independent oracle. The request becomes
 * principal `Service::"<service>"`, one action, one resource, and a context carrying the verified
 * caller and tenant (when the request has them), the intent,
 * the resource name, each name's segment count, the environment, the UTC minute and weekday, and the
 * caller's attributes under `attrs`. A glob is `like` plus an equal segment count: with non-empty,
 * colon-free segments, the pattern's colons then pair exactly with the name's, so each `*` spans
 * exactly one segment, as in the engine.
 */
export function cedarString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) out += `\\u{${code.toString(16)}}`;
    else out += ch;
  }
  return `${out}"`;
}

function cedarScalar(value: Scalar): string {
  return typeof value === 'string' ? cedarString(value) : String(value);
}

function segmentCount(name: string): number {
  return name.split(':').length;
}

function globClause(variable: string, glob: string): string {
  if (!glob.split(':').includes('*')) return `context.${variable} == ${cedarString(glob)}`;
  return `(context.${variable}Segments == ${segmentCount(glob)} && context.${variable} like ${cedarString(glob)})`;
}

function attributeClause(c: AttributeCondition): string {
  const value = `context.attrs[${cedarString(c.attribute)}]`;
  const has = `context.attrs has ${cedarString(c.attribute)}`;
  if ('equals' in c) return `(${has} && ${value} == ${cedarScalar(c.equals)})`;
  if ('in' in c) return `(${has} && [${c.in.map(cedarScalar).join(', ')}].contains(${value}))`;
  // `*` is the only wildcard of `like`; escape it so the prefix is literal.
  const pattern = `${cedarString(c.prefix).slice(0, -1).replaceAll('*', '\\*')}*"`;
  return `(${has} && ${value} like ${pattern})`;
}

function minutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

export function statementToCedar(s: Statement): string {
  const clauses: string[] = [];
  if (!s.principals.includes('*')) {
    clauses.push(`[${s.principals.map((p) => `Service::${cedarString(p)}`).join(', ')}].contains(principal)`);
  }
  for (const [variable, names] of [
    ['caller', s.callers],
    ['tenant', s.tenants],
  ] as const) {
    if (names === undefined) continue;
    clauses.push(`context has ${variable}`);
    if (!names.includes('*'))
      clauses.push(`[${names.map(cedarString).join(', ')}].contains(context.${variable})`);
  }
  clauses.push(`(${s.actions.map((a) => globClause('intent', a)).join(' || ')})`);
  if (s.resources) {
    clauses.push(`context has resource`);
    clauses.push(`(${s.resources.map((r) => globClause('resource', r)).join(' || ')})`);
  }
  const c = s.conditions;
  if (c?.environments)
    clauses.push(`[${c.environments.map(cedarString).join(', ')}].contains(context.environment)`);
  if (c?.timeWindow) {
    const start = minutes(c.timeWindow.start);
    const end = minutes(c.timeWindow.end);
    const join = start < end ? '&&' : '||';
    clauses.push(`(context.minute >= ${start} ${join} context.minute < ${end})`);
    if (c.timeWindow.days)
      clauses.push(`[${c.timeWindow.days.map(cedarString).join(', ')}].contains(context.day)`);
  }
  for (const a of c?.context ?? []) clauses.push(attributeClause(a));
  const effect = s.effect === 'allow' ? 'permit' : 'forbid';
  return `${effect} (principal, action, resource) when { ${clauses.join(' && ')} };`;
}

/** The document as a Cedar static policy set, one policy per statement, keyed by statement id. */
export function documentToCedar(document: PolicyDocument): Record<string, string> {
  return Object.fromEntries(document.statements.map((s) => [s.id, statementToCedar(s)]));
}

/** Registers the document in cedar-wasm's parsed-policy cache under `id`; throws on a parse error. */
export function preparse(id: string, document: PolicyDocument): void {
  const answer = cedar.preparsePolicySet(id, { staticPolicies: documentToCedar(document) });
  if (answer.type !== 'success') {
    throw new Error(`cedar rejected the translation: ${JSON.stringify(answer.errors)}`);
  }
}

type CedarContext = CedarWasm.Context;

export function cedarCall(policySetId: string, r: DecisionRequest): CedarWasm.StatefulAuthorizationCall {
  const clock = utcClock(r.time);
  const context: CedarContext = {
    intent: r.action,
    intentSegments: segmentCount(r.action),
    environment: r.environment,
    minute: clock.minute,
    day: clock.weekday,
    attrs: (r.attributes ?? {}) as CedarContext,
  };
  if (r.caller !== undefined) context.caller = r.caller;
  if (r.tenant !== undefined) context.tenant = r.tenant;
  if (r.resource !== undefined) {
    context.resource = r.resource;
    context.resourceSegments = segmentCount(r.resource);
  }
  return {
    principal: { type: 'Service', id: r.principal },
    action: { type: 'Action', id: 'decide' },
    resource: { type: 'Resource', id: 'any' },
    context,
    entities: [],
    preparsedPolicySetId: policySetId,
  };
}

/** Cedar's decision and the ids of the policies that determined it. */
export function cedarDecide(
  policySetId: string,
  r: DecisionRequest,
): { allowed: boolean; reasons: string[] } {
  const answer = cedar.statefulIsAuthorized(cedarCall(policySetId, r));
  if (answer.type !== 'success') throw new Error(`cedar failed: ${JSON.stringify(answer.errors)}`);
  return { allowed: answer.response.decision === 'allow', reasons: answer.response.diagnostics.reason };
}
