import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  buildImageName,
  ecrRepositoryName,
  githubOutputs,
  imageTags,
  main,
  validateImageTag,
} from './image-ref.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('validateImageTag', () => {
  it('accepts a full git SHA and a release version', () => {
    expect(validateImageTag(SHA)).toBe(SHA);
    expect(validateImageTag(' 1.4.0 ')).toBe('1.4.0');
  });

  it.each([
    'latest',
    'main',
    SHA.slice(0, 12),
    SHA.toUpperCase(),
    'v1.4.0',
    '1.4',
    '01.2.3',
    '1.2.3-rc.1',
    '',
  ])('refuses "%s", which names no single signed build', (tag) => {
    expect(() => validateImageTag(tag)).toThrow(
      /image tag must be a 40-character lower-case git SHA or a release/,
    );
  });

  it('never accepts a tag with characters a shell or a registry would treat specially', () => {
    fc.assert(
      fc.property(fc.string(), (input) => {
        try {
          return /^[0-9a-f.]+$/.test(validateImageTag(input));
        } catch {
          return true;
        }
      }),
    );
  });
});

describe('imageTags', () => {
  it('tags a main build with its SHA and a release build with its version only', () => {
    expect(imageTags('refs/heads/main', SHA)).toEqual([SHA]);
    expect(imageTags('refs/tags/v2.10.3', SHA)).toEqual(['2.10.3']);
    expect(imageTags('refs/tags/v2.10', SHA)).toEqual([SHA]);
  });

  it('refuses a short SHA', () => {
    expect(() => imageTags('refs/heads/main', SHA.slice(0, 7))).toThrow(/40 lower-case hex/);
  });
});

describe('image names', () => {
  it('lower-cases the build registry reference as OCI requires', () => {
    expect(buildImageName('ghcr.io', 'Acme/Axon-Orbit', 'orbit')).toBe('ghcr.io/acme/axon-orbit/orbit');
  });

  it('names the ECR repository the services stack creates', () => {
    expect(ecrRepositoryName('prod', 'axon')).toBe('axon-orbit-prod/axon');
  });

  it('rejects unknown services, environments and malformed repositories', () => {
    expect(() => buildImageName('ghcr.io', 'acme/repo', 'governance')).toThrow(
      /service must be one of axon, orbit/,
    );
    expect(() => buildImageName('ghcr.io', 'acme', 'axon')).toThrow(/owner\/name/);
    expect(() => ecrRepositoryName('qa', 'axon')).toThrow(/environment must be one of dev, staging, prod/);
    expect(() => ecrRepositoryName('dev', 'web')).toThrow(/service must be one of/);
  });
});

describe('CLI', () => {
  it('prints GitHub step outputs with a multi-line list of references', () => {
    expect(githubOutputs('ghcr.io', 'acme/ao', 'axon', 'refs/tags/v1.0.0', SHA).split('\n')).toEqual([
      'image=ghcr.io/acme/ao/axon',
      'tags=1.0.0',
      'references<<EOF',
      'ghcr.io/acme/ao/axon:1.0.0',
      'EOF',
    ]);
    expect(main(['outputs', 'ghcr.io', 'acme/ao', 'orbit', 'refs/heads/main', SHA])).toContain('image=');
  });

  it('answers each command and explains a wrong one', () => {
    expect(main(['check', SHA, '1.4.0'])).toBe(`tag=${SHA}\ntag=1.4.0`);
    expect(() => main(['check', SHA, 'latest'])).toThrow(/got "latest"/);
    expect(() => main(['check'])).toThrow(/usage: check/);
    expect(main(['images', 'ghcr.io', 'Acme/AO']).split('\n')).toEqual([
      'axon ghcr.io/acme/ao/axon',
      'orbit ghcr.io/acme/ao/orbit',
    ]);
    expect(main(['images', 'ghcr.io', 'acme/ao', 'dev']).split('\n')).toEqual([
      'axon ghcr.io/acme/ao/axon axon-orbit-dev/axon',
      'orbit ghcr.io/acme/ao/orbit axon-orbit-dev/orbit',
    ]);
    expect(() => main(['images', 'ghcr.io', 'acme/ao', 'qa'])).toThrow(/environment must be one of/);
    expect(() => main(['images', 'ghcr.io'])).toThrow(/usage: images/);
    expect(() => main(['outputs', 'ghcr.io'])).toThrow(/usage: outputs/);
    expect(() => main(['deploy'])).toThrow(/usage: image-ref.ts/);
  });
});
