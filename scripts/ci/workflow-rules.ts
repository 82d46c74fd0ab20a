import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';

/**
 * Rules for the GitHub workflows, which hold deploy rights and so are reviewed like code: actions
 * pinned by commit SHA with a readable version, read-only defaults with each job asking only for
 * the writes its steps use, timeouts, no expression expanded inside a shell script (the
 * script-injection path), and concurrency on anything a pull request triggers. Each rule returns
 * the problems it finds, one line each; an empty list means the rule holds.
 */
export interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly if?: string;
  readonly 'continue-on-error'?: boolean;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Readonly<Record<string, unknown>>;
}
export interface Job {
  readonly uses?: string;
  readonly if?: string;
  readonly secrets?: Readonly<Record<string, string>> | string;
  readonly concurrency?: { readonly group?: string; readonly 'cancel-in-progress'?: boolean } | string;
  readonly needs?: string | string[];
  readonly permissions?: Readonly<Record<string, string>> | string;
  readonly 'timeout-minutes'?: number;
  readonly steps?: readonly Step[];
  readonly environment?: unknown;
}
export interface Workflow {
  readonly on?: Readonly<Record<string, unknown>> | string | readonly string[];
  readonly permissions?: Readonly<Record<string, string>> | string;
  readonly concurrency?: { readonly group?: string; readonly 'cancel-in-progress'?: boolean } | string;
  readonly jobs?: Readonly<Record<string, Job>>;
}
export interface WorkflowFile {
  readonly name: string;
  readonly text: string;
  readonly workflow: Workflow;
}

/** The longest job timeout allowed: CI's own limit is 90 minutes. */
export const MAX_TIMEOUT_MINUTES = 90;

const PINNED = /^([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)(\/[A-Za-z0-9_./-]+)?@([0-9a-f]{40})$/;
const VERSION_COMMENT = /^\s+#\s+v?\d+(\.\d+){0,2}\s*$/;
const LOCAL_WORKFLOW = /^\.\/\.github\/workflows\/[a-z0-9-]+\.ya?ml$/;
const USES_LINE = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/;
const EXPRESSION_START = '$' + '{{';

export function parseWorkflow(name: string, text: string): WorkflowFile {
  return { name, text, workflow: parse(text, { uniqueKeys: true }) as Workflow };
}

export function loadWorkflows(dir: string): WorkflowFile[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => parseWorkflow(f, readFileSync(join(dir, f), 'utf8')));
}

export const jobsOf = (file: WorkflowFile | undefined): [string, Job][] =>
  Object.entries(file?.workflow.jobs ?? {});

/** The file name of the reusable workflow a job calls, when it calls one of this repository's. */
export const calledWorkflow = (job: Job): string | undefined =>
  job.uses && LOCAL_WORKFLOW.test(job.uses) ? job.uses.replace('./.github/workflows/', '') : undefined;

/** Everything a job does: its own steps, or the steps of the reusable workflow it calls. */
export function stepsOf(job: Job, files: readonly WorkflowFile[], seen: string[] = []): Step[] {
  const called = calledWorkflow(job);
  if (!called) return [...(job.steps ?? [])];
  if (seen.includes(called)) return [];
  const file = files.find((f) => f.name === called);
  return jobsOf(file).flatMap(([, j]) => stepsOf(j, files, [...seen, called]));
}

export function allSteps(files: readonly WorkflowFile[]): { file: string; job: string; step: Step }[] {
  return files.flatMap((file) =>
    jobsOf(file).flatMap(([job, j]) => (j.steps ?? []).map((step) => ({ file: file.name, job, step }))),
  );
}

/** Problems of one `uses:` reference; `shaOf` remembers each action's commit across files. */
function pinningProblemsOf(
  file: string,
  ref: string,
  rest: string,
  root: string,
  shaOf: Map<string, string>,
) {
  if (LOCAL_WORKFLOW.test(ref)) return existsSync(join(root, ref)) ? [] : [`${file}: ${ref} does not exist`];
  const [, repo, path = '', sha = ''] = PINNED.exec(ref) ?? [];
  if (!repo) return [`${file}: ${ref} is not pinned to a 40-hex commit SHA`];
  const problems: string[] = [];
  if (!VERSION_COMMENT.test(rest)) problems.push(`${file}: ${ref} lacks a "# vX.Y.Z" version comment`);
  const action = `${repo}${path}`;
  const previous = shaOf.get(action);
  if (previous !== undefined && previous !== sha)
    problems.push(`${action} is pinned to two different commits`);
  shaOf.set(action, sha);
  return problems;
}

/** Every `uses:` is a local reusable workflow that exists, or an action at a 40-hex SHA + `# vX.Y.Z`. */
export function pinningProblems(files: readonly WorkflowFile[], root: string): string[] {
  const shaOf = new Map<string, string>();
  return files.flatMap((file) =>
    file.text.split('\n').flatMap((line) => {
      const [, ref = '', rest = ''] = USES_LINE.exec(line) ?? [];
      return ref ? pinningProblemsOf(file.name, ref, rest, root, shaOf) : [];
    }),
  );
}

/** The distinct actions (`owner/repo[/path]@sha`) the workflows pin. */
export function pinnedActions(files: readonly WorkflowFile[]): string[] {
  const refs = files.flatMap((f) =>
    f.text.split('\n').flatMap((line) => {
      const ref = USES_LINE.exec(line)?.[1];
      return ref && PINNED.test(ref) ? [ref] : [];
    }),
  );
  return [...new Set(refs)].sort();
}

export function topLevelPermissionProblems(files: readonly WorkflowFile[]): string[] {
  return files
    .filter((f) => {
      const permissions = f.workflow.permissions;
      return typeof permissions !== 'object' || Object.keys(permissions).length > 0;
    })
    .map((f) => `${f.name}: top-level permissions must be {} (jobs ask for what they need)`);
}

/** What each write permission is for; a job that asks for one must have a step that uses it. */
const WRITE_JUSTIFICATIONS: Readonly<Record<string, (steps: readonly Step[]) => boolean>> = {
  'id-token': (steps) =>
    steps.some(
      (s) =>
        s.uses?.startsWith('aws-actions/configure-aws-credentials@') ||
        /\bcosign (sign|attest)\b/.test(s.run ?? ''),
    ),
  packages: (steps) =>
    steps.some(
      (s) =>
        (s.uses?.startsWith('docker/build-push-action@') && s.with?.push === true) ||
        /\bcosign (sign|attest)\b/.test(s.run ?? ''),
    ),
  'security-events': (steps) =>
    steps.some(
      (s) =>
        s.uses?.startsWith('github/codeql-action/upload-sarif@') ||
        s.uses?.startsWith('github/codeql-action/analyze@'),
    ),
  'pull-requests': (steps) => steps.some((s) => /scripts\/ci\/pr-comment\.sh/.test(s.run ?? '')),
};

function permissionProblemsOf(file: string, id: string, job: Job, files: readonly WorkflowFile[]): string[] {
  if (typeof job.permissions !== 'object') return [`${file} ${id}: no permissions map`];
  return Object.entries(job.permissions)
    .filter(([, access]) => access !== 'read' && access !== 'none')
    .flatMap(([scope, access]) => {
      const justification = WRITE_JUSTIFICATIONS[scope];
      if (!justification) return [`${file} ${id}: ${scope}: ${access} is never needed`];
      return justification(stepsOf(job, files))
        ? []
        : [`${file} ${id}: ${scope}: ${access} but no step uses it`];
    });
}

export function jobPermissionProblems(files: readonly WorkflowFile[]): string[] {
  return files.flatMap((file) =>
    jobsOf(file).flatMap(([id, job]) => permissionProblemsOf(file.name, id, job, files)),
  );
}

/** Every job that runs steps has a timeout; a reusable-workflow call is bounded by the jobs it calls. */
export function timeoutProblems(files: readonly WorkflowFile[]): string[] {
  return files.flatMap((file) =>
    jobsOf(file).flatMap(([id, job]) => {
      if (calledWorkflow(job)) return [];
      const timeout = job['timeout-minutes'];
      if (typeof timeout !== 'number') return [`${file.name} ${id}: no timeout-minutes`];
      if (timeout > MAX_TIMEOUT_MINUTES)
        return [`${file.name} ${id}: timeout ${timeout} > ${MAX_TIMEOUT_MINUTES}`];
      return [];
    }),
  );
}

/**
 * No `${{ … }}` inside `run:`: GitHub pastes the value into the script before bash parses it, so a
 * PR title or branch name could become code. Values go through `env:` and are read as variables.
 */
export function injectionProblems(files: readonly WorkflowFile[]): string[] {
  return allSteps(files)
    .filter(({ step }) => (step.run ?? '').includes(EXPRESSION_START))
    .map(({ file, job, step }) => `${file} ${job}: expression inside run (${step.name ?? 'unnamed step'})`);
}

export function triggersOf(workflow: Workflow): string[] {
  const on = workflow.on;
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return [...on];
  return Object.keys(on ?? {});
}

export function triggerProblems(files: readonly WorkflowFile[]): string[] {
  return files.flatMap((file) => {
    const triggers = triggersOf(file.workflow);
    const problems: string[] = [];
    if (triggers.includes('pull_request_target')) {
      problems.push(`${file.name}: pull_request_target runs untrusted code with a write token`);
    }
    const concurrency = file.workflow.concurrency;
    if (
      triggers.includes('pull_request') &&
      (typeof concurrency !== 'object' || concurrency['cancel-in-progress'] !== true)
    ) {
      problems.push(
        `${file.name}: runs on pull requests without a concurrency group that cancels stale runs`,
      );
    }
    return problems;
  });
}

/** Scripts named in `run:` (`bash scripts/…sh`, `tsx scripts/…ts`) that do not exist. */
export function missingScripts(files: readonly WorkflowFile[], root: string): string[] {
  return allSteps(files).flatMap(({ file, step }) =>
    [...(step.run ?? '').matchAll(/(?:bash|tsx)\s+(scripts\/\S+\.(?:sh|ts))/g)]
      .map((m) => m[1] ?? '')
      .filter((path) => !existsSync(join(root, path)))
      .map((path) => `${file}: ${path} does not exist`),
  );
}

const INSTALL = /\bnpm (ci|install|i)\b/;

/**
 * A job that can sign (cosign with an OIDC token) or push images runs no dependency's install
 * script: a compromised package would otherwise sign or push as the build.
 */
export function signingJobProblems(files: readonly WorkflowFile[]): string[] {
  return files.flatMap((file) =>
    jobsOf(file).flatMap(([id, job]) => {
      const permissions = typeof job.permissions === 'object' ? job.permissions : {};
      const steps = stepsOf(job, files);
      const signs =
        permissions['id-token'] === 'write' &&
        steps.some((s) => /\bcosign (sign|attest)\b/.test(s.run ?? ''));
      if (!signs && permissions.packages !== 'write') return [];
      return steps
        .filter((s) => INSTALL.test(s.run ?? '') && !/--ignore-scripts\b/.test(s.run ?? ''))
        .map(
          (s) =>
            `${file.name} ${id}: "${s.name ?? s.run}" runs install scripts in a job that can ${signs ? 'sign' : 'push images'}`,
        );
    }),
  );
}

/** Code-scanning uploads never block what follows them (they fail where code scanning is off). */
export function sarifUploadProblems(files: readonly WorkflowFile[]): string[] {
  return files.flatMap((file) =>
    jobsOf(file).flatMap(([id, job]) => {
      const uploads = (job.steps ?? []).filter((s) =>
        s.uses?.startsWith('github/codeql-action/upload-sarif@'),
      );
      if (uploads.length === 0) return [];
      const permissions = typeof job.permissions === 'object' ? job.permissions : {};
      const problems = uploads
        .filter((s) => s['continue-on-error'] !== true)
        .map((s) => `${file.name} ${id}: "${s.name ?? s.uses}" can fail the job (continue-on-error: true)`);
      if (permissions.actions !== 'read')
        problems.push(`${file.name} ${id}: SARIF upload needs actions: read in private repositories`);
      return problems;
    }),
  );
}

/** Reusable workflows receive the secrets they declare, named one by one, never all of them. */
export function secretsInheritProblems(files: readonly WorkflowFile[]): string[] {
  return files.flatMap((file) =>
    jobsOf(file)
      .filter(([, job]) => job.secrets === 'inherit')
      .map(([id]) => `${file.name} ${id}: secrets: inherit passes every secret; name the ones the job needs`),
  );
}

export function checkWorkflows(files: readonly WorkflowFile[], root: string): string[] {
  return [
    ...pinningProblems(files, root),
    ...topLevelPermissionProblems(files),
    ...jobPermissionProblems(files),
    ...timeoutProblems(files),
    ...injectionProblems(files),
    ...triggerProblems(files),
    ...missingScripts(files, root),
    ...signingJobProblems(files),
    ...sarifUploadProblems(files),
    ...secretsInheritProblems(files),
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = new URL('../../', import.meta.url).pathname;
  const files = loadWorkflows(join(root, '.github/workflows'));
  const problems = checkWorkflows(files, root);
  for (const problem of problems) console.log(problem);
  const steps = allSteps(files).length;
  console.log(
    `workflow rules: ${files.length} workflows, ${files.reduce((n, f) => n + jobsOf(f).length, 0)} jobs, ${steps} steps, ${pinnedActions(files).length} pinned actions, ${problems.length} problem(s)`,
  );
  process.exit(problems.length === 0 ? 0 : 1);
}
