import { pathToFileURL } from 'node:url';
import { ENVIRONMENT_NAMES, isEnvironmentName } from '../../contracts/environments.js';

/** The services CI builds, each from `services/<name>/Dockerfile` with the repository root as context. */
export const SERVICES = ['axon', 'orbit'] as const;

const GIT_SHA = /^[0-9a-f]{40}$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const RELEASE_REF = /^refs\/tags\/v((0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*))$/;
const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/;

/**
 * Checks a tag someone asked to deploy or roll back to: the full git SHA of a build, or a release
 * version. Anything else (a branch name, `latest`, a short SHA) is refused, because only these two
 * name one immutable, signed build.
 */
export function validateImageTag(input: string): string {
  const tag = input.trim();
  if (GIT_SHA.test(tag) || SEMVER.test(tag)) return tag;
  throw new Error(
    `image tag must be a 40-character lower-case git SHA or a release version such as 1.4.0, got "${input}"`,
  );
}

/**
 * The tag one build is pushed with: its git SHA when built from a branch, its version when built from
 * a `vX.Y.Z` tag. A release build never re-pushes the SHA tag: rebuilding the same commit gives a new
 * digest, and the ECR repositories' tags are immutable, so the SHA keeps naming the main build.
 */
export function imageTags(ref: string, sha: string): string[] {
  if (!GIT_SHA.test(sha)) throw new Error(`git SHA must be 40 lower-case hex characters, got "${sha}"`);
  const release = RELEASE_REF.exec(ref)?.[1];
  return release ? [release] : [sha];
}

/** `<registry>/<owner>/<repo>/<service>`, lower-cased as OCI references require. */
export function buildImageName(registry: string, repository: string, service: string): string {
  if (!REPOSITORY.test(repository)) throw new Error(`repository must be owner/name, got "${repository}"`);
  if (!(SERVICES as readonly string[]).includes(service)) {
    throw new Error(`service must be one of ${SERVICES.join(', ')}, got "${service}"`);
  }
  return `${registry}/${repository}/${service}`.toLowerCase();
}

/** The ECR repository of a service in one environment: `axon-orbit-<env>/<service>`. */
export function ecrRepositoryName(environment: string, service: string): string {
  if (!isEnvironmentName(environment)) {
    throw new Error(`environment must be one of ${ENVIRONMENT_NAMES.join(', ')}, got "${environment}"`);
  }
  if (!(SERVICES as readonly string[]).includes(service)) {
    throw new Error(`service must be one of ${SERVICES.join(', ')}, got "${service}"`);
  }
  return `axon-orbit-${environment}/${service}`;
}

/** Lines for `$GITHUB_OUTPUT`: `image`, `tags` (space-separated) and `references` (one per line). */
export function githubOutputs(
  registry: string,
  repository: string,
  service: string,
  ref: string,
  sha: string,
) {
  const image = buildImageName(registry, repository, service);
  const tags = imageTags(ref, sha);
  return [
    `image=${image}`,
    `tags=${tags.join(' ')}`,
    'references<<EOF',
    ...tags.map((tag) => `${image}:${tag}`),
    'EOF',
  ].join('\n');
}

/**
 * One line per service: `<service> <build image>`, and its ECR repository when an environment is
 * given. The deploy scripts read every name they need from one call: each `npx tsx` start costs
 * about half a second, and a per-service, per-tag call made a promotion cost several.
 */
export function serviceImages(registry: string, repository: string, environment?: string): string {
  return SERVICES.map((service) =>
    [
      service,
      buildImageName(registry, repository, service),
      ...(environment === undefined ? [] : [ecrRepositoryName(environment, service)]),
    ].join(' '),
  ).join('\n');
}

export function main(argv: readonly string[]): string {
  const [command, ...args] = argv;
  switch (command) {
    case 'outputs': {
      const [registry, repository, service, ref, sha] = args;
      if (sha === undefined)
        throw new Error('usage: outputs <registry> <owner/repo> <service> <git-ref> <git-sha>');
      return githubOutputs(registry ?? '', repository ?? '', service ?? '', ref ?? '', sha);
    }
    case 'check':
      if (args.length === 0) throw new Error('usage: check <tag> [<tag>...]');
      return args.map((tag) => `tag=${validateImageTag(tag)}`).join('\n');
    case 'images': {
      const [registry, repository, environment] = args;
      if (repository === undefined) throw new Error('usage: images <registry> <owner/repo> [<environment>]');
      return serviceImages(registry ?? '', repository, environment);
    }
    default:
      throw new Error('usage: image-ref.ts outputs|check|images ...');
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(main(process.argv.slice(2)));
  } catch (error) {
    console.error(`image-ref: ${(error as Error).message}`);
    process.exit(1);
  }
}
