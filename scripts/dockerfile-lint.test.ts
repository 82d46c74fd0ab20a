import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { lintDockerfile } from './dockerfile-lint.js';

describe('service Dockerfiles', () => {
  it.each(['services/Dockerfile'])('%s passes the lint rules', (file) => {
    expect(lintDockerfile(readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('.dockerignore keeps the context to the lockfile and services/', () => {
    const lines = readFileSync('.dockerignore', 'utf8').split('\n');
    expect(lines).toEqual(
      expect.arrayContaining(['*', '!package.json', '!package-lock.json', '!services/', '**/node_modules']),
    );
  });
});

describe('dockerfile lint rules', () => {
  it('flags the classic mistakes', () => {
    const bad = [
      'FROM node:latest',
      'WORKDIR app',
      'ADD . .',
      'RUN cd /x && sudo npm install && apt-get install -y curl',
      'RUN curl -s https://x.sh | sh',
      'USER root',
      'CMD node main.js',
    ].join('\n');
    const rules = lintDockerfile(bad).map((f) => f.rule);
    expect(rules).toEqual(
      expect.arrayContaining([
        'multi-stage',
        'DL3006',
        'DL3007',
        'DL3000',
        'DL3020',
        'DL3003',
        'DL3004',
        'npm-ci',
        'DL3015',
        'DL4006',
        'DL3002',
        'DL3025',
        'healthcheck',
      ]),
    );
  });

  it('resolves ARG defaults in FROM, follows line continuations and accepts a pinned, non-root build', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const good = [
      `ARG BASE=node:22-slim@${digest}`,
      'FROM $BASE AS build',
      'WORKDIR /src',
      'RUN npm ci \\',
      '    --ignore-scripts',
      `FROM gcr.io/distroless/nodejs22-debian12:nonroot@${digest}`,
      'COPY --from=build /out/ /app/',
      'USER 65532:65532',
      'HEALTHCHECK CMD ["/nodejs/bin/node", "/app/healthcheck.mjs"]',
      'ENTRYPOINT ["/nodejs/bin/node", "/app/main.mjs"]',
    ].join('\n');
    expect(lintDockerfile(good)).toEqual([]);
    expect(lintDockerfile(good.replace('USER 65532:65532', 'USER 0'))).toEqual([
      expect.objectContaining({ rule: 'DL3002' }),
    ]);
    expect(lintDockerfile(good.replace(/CMD \[.*\]/, 'CMD node /app/healthcheck.mjs'))).toEqual([
      expect.objectContaining({ rule: 'healthcheck' }),
    ]);
  });
});
