import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';

/** `npm start` itself (local/start.ts) as a user runs it: banner, both sample requests, Ctrl-C. */
const secretsDir = mkdtempSync(join(tmpdir(), 'npm-start-'));
afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));

describe('npm start', () => {
  it('prints URLs, key id and working sample curls, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
      env: {
        ...process.env,
        ORBIT_PORT: '0',
        AXON_PORT: '0',
        LOCAL_LAMBDA_PORT: '0',
        LOCAL_DYNAMODB_PORT: '0',
        LOCAL_SECRETS_DIR: secretsDir,
        LOCAL_SIGNING_KEY_ID: 'npm-start-key',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 45_000;
    while (!out.includes('Denied (403') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 200));

    expect(out).toContain('Local platform is up');
    expect(out).toContain('Signing key  id npm-start-key');
    const orbitUrl = /Orbit\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(orbitUrl).toBeDefined();
    // The printed curls, run as printed: fetch a token, dispatch allowed, denied, without a token, suspended.
    const lines = out.split('\n').map((l) => l.trim());
    const printed = (from: string, count: number) => {
      const start = lines.findIndex((l) => l.startsWith(from));
      return lines.slice(start + 1, start + 1 + count).join('\n');
    };
    const run = (text: string) =>
      execFileSync(
        'bash',
        ['-c', `${text.replaceAll('curl -s -X POST', "curl -s -o /dev/null -w '%{http_code} ' -X POST")}`],
        {
          encoding: 'utf8',
        },
      ).trim();
    expect(
      run(
        `${printed('Fetch a token', 2)}\n${printed('Denied', 1)}\n${printed('No token', 1)}\n${printed('A caller the policy denies', 1)}`,
      ),
    ).toBe('200 403 401 403');
    const suspended = JSON.parse(
      execFileSync('bash', ['-c', printed('A caller the policy denies', 1)], { encoding: 'utf8' }),
    );
    expect(suspended).toMatchObject({ status: 403, statementId: 'suspended-callers' });
    expect(orbitUrl).toMatch(/^http/);

    // README's SigV4 curl example, pointed at this run's secrets directory and Axon port.
    const readme = readFileSync('README.md', 'utf8');
    const block = /<!-- sigv4-curl -->\n```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const axonUrl = /Axon\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
    expect(block).toContain('--aws-sigv4');
    const script = block.replace('.local/secrets', secretsDir).replace('http://127.0.0.1:8081', axonUrl);
    const answer = JSON.parse(execFileSync('bash', ['-c', script], { encoding: 'utf8' }));
    // The signature passes; the call is refused only because no governance decision token came with it.
    expect(answer).toMatchObject({ status: 403, type: 'urn:axon-orbit:problem:decision-token-missing' });

    child.kill('SIGINT');
    await expect(exited).resolves.toBe(0);
    expect(out).toContain('stopped (orbit exit 0, axon exit 0)');
  });
});

describe('npm start with a busy port', () => {
  it('names the port, its component and the variable that picks another, in one line', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const busy = (squatter.address() as { port: number }).port;
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
        env: {
          ...process.env,
          ORBIT_PORT: String(busy),
          AXON_PORT: '0',
          LOCAL_LAMBDA_PORT: '0',
          LOCAL_DYNAMODB_PORT: '0',
          LOCAL_SECRETS_DIR: secretsDir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([
        `local platform failed to start: port ${busy} (orbit, ORBIT_PORT) already in use; set the variable to a free port, or 0 for any free port, e.g. ORBIT_PORT=0 npm start`,
      ]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
