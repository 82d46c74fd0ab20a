import { readFileSync } from 'node:fs';

/**
 * Hadolint-style rules for this repository's Dockerfiles (no hadolint binary is installable from npm
 * or Debian here). Rule ids follow hadolint's where one exists. Run: `tsx scripts/dockerfile-lint.ts <files>`.
 */
export interface Finding {
  readonly line: number;
  readonly rule: string;
  readonly message: string;
}

interface Instruction {
  readonly line: number;
  readonly keyword: string;
  readonly args: string;
}

export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let current = lines[i] ?? '';
    if (/^\s*(#|$)/.test(current)) continue;
    while (/\\\s*$/.test(current) && i + 1 < lines.length) {
      i++;
      const next = lines[i] ?? '';
      if (/^\s*#/.test(next)) continue;
      current = `${current.replace(/\\\s*$/, ' ')}${next.trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(current);
    if (m?.[1] && m[2] !== undefined)
      instructions.push({ line: start + 1, keyword: m[1].toUpperCase(), args: m[2].trim() });
  }
  return instructions;
}

const isExecForm = (args: string): boolean => {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.length > 0 && parsed.every((p) => typeof p === 'string');
  } catch {
    return false;
  }
};

function imageOf(fromArgs: string, args: ReadonlyMap<string, string>): string {
  const words = fromArgs.split(/\s+/).filter((w) => !w.startsWith('--'));
  const image = words[0] ?? '';
  return image.replace(
    /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
    (_m, name: string) => args.get(name) ?? `$${name}`,
  );
}

export function lintDockerfile(text: string): Finding[] {
  const findings: Finding[] = [];
  const add = (line: number, rule: string, message: string) => findings.push({ line, rule, message });
  const instructions = parseDockerfile(text);
  const globalArgs = new Map<string, string>();
  const stages: { from: Instruction; body: Instruction[]; name?: string }[] = [];

  for (const ins of instructions) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = ins.args.split('=', 2);
      if (name && value !== undefined) globalArgs.set(name, value);
      continue;
    }
    if (ins.keyword === 'FROM') {
      const alias = /\bAS\s+([A-Za-z0-9_.-]+)\s*$/i.exec(ins.args)?.[1];
      stages.push({ from: ins, body: [], ...(alias ? { name: alias } : {}) });
      continue;
    }
    stages.at(-1)?.body.push(ins);
  }

  if (stages.length < 2) add(1, 'multi-stage', 'use a build stage and a separate runtime stage');
  const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
  for (const stage of stages) {
    const image = imageOf(stage.from.args, globalArgs);
    if (stageNames.has(image)) continue;
    if (!/@sha256:[0-9a-f]{64}$/.test(image))
      add(stage.from.line, 'DL3006', `pin ${image} by digest (@sha256:...)`);
    if (/:latest(@|$)/.test(image)) add(stage.from.line, 'DL3007', `do not use the latest tag (${image})`);
  }

  for (const ins of instructions) {
    if (ins.keyword === 'ADD' && !/^(--\S+\s+)*https?:\/\//.test(ins.args))
      add(ins.line, 'DL3020', 'use COPY, not ADD, for files');
    if (ins.keyword === 'WORKDIR' && !ins.args.startsWith('/') && !ins.args.startsWith('$')) {
      add(ins.line, 'DL3000', 'use an absolute WORKDIR');
    }
    if (ins.keyword === 'RUN') {
      if (/(^|[;&|]\s*)cd\s/.test(ins.args)) add(ins.line, 'DL3003', 'use WORKDIR instead of cd');
      if (/\bsudo\b/.test(ins.args)) add(ins.line, 'DL3004', 'do not use sudo');
      if (/\bnpm\s+(install|i)\b/.test(ins.args))
        add(ins.line, 'npm-ci', 'install from the lockfile with npm ci');
      if (/\bapt-get\s+install\b/.test(ins.args) && !/--no-install-recommends/.test(ins.args)) {
        add(ins.line, 'DL3015', 'apt-get install --no-install-recommends');
      }
      if (/\b(curl|wget)\b[^|]*\|\s*(ba)?sh\b/.test(ins.args))
        add(ins.line, 'DL4006', 'do not pipe downloads into a shell');
    }
    if ((ins.keyword === 'CMD' || ins.keyword === 'ENTRYPOINT') && !isExecForm(ins.args)) {
      add(ins.line, 'DL3025', `${ins.keyword} must use the JSON (exec) form`);
    }
  }

  const final = stages.at(-1);
  if (final) {
    const users = final.body.filter((i) => i.keyword === 'USER');
    const user = users.at(-1)?.args.split(':')[0];
    if (!user) add(final.from.line, 'DL3002', 'the runtime stage must set a non-root USER');
    else if (user === 'root' || user === '0')
      add(users.at(-1)?.line ?? 0, 'DL3002', 'the last USER must not be root');
    const health = final.body.find((i) => i.keyword === 'HEALTHCHECK');
    if (!health) add(final.from.line, 'healthcheck', 'the runtime stage needs a HEALTHCHECK');
    else if (!/\bCMD\s+\[/.test(health.args) && !/^NONE$/i.test(health.args)) {
      add(health.line, 'healthcheck', 'HEALTHCHECK CMD must use the exec form (no shell in the image)');
    }
    if (!final.body.some((i) => i.keyword === 'COPY' && /--from=/.test(i.args))) {
      add(
        final.from.line,
        'multi-stage',
        'the runtime stage should copy its build output from the build stage',
      );
    }
  }
  return findings.sort((a, b) => a.line - b.line);
}

const invokedDirectly = process.argv[1]?.endsWith('dockerfile-lint.ts');
if (invokedDirectly) {
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    for (const f of lintDockerfile(readFileSync(file, 'utf8'))) {
      failed++;
      console.error(`${file}:${f.line} ${f.rule} ${f.message}`);
    }
  }
  console.log(`dockerfile-lint: ${failed} finding(s)`);
  process.exit(failed ? 1 : 0);
}
