import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { PortInUseError } from './ports.js';
import { ServiceProcess } from './service-process.js';

const MAIN = 'local/testdata/health-server.ts';
const started: ServiceProcess[] = [];

function service(port: number): ServiceProcess {
  const process = new ServiceProcess({ name: 'stand-in', main: MAIN, port, env: {}, bundle: true });
  started.push(process);
  return process;
}

async function pidAt(url: string): Promise<number> {
  const res = await request(`${url}/health`);
  return ((await res.body.json()) as { pid: number }).pid;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop()));
});

describe('ServiceProcess', () => {
  it('starts on a port the kernel picks, names it in url and keeps it across a restart', async () => {
    const svc = service(0);
    expect(() => svc.url).toThrow('no port before it first starts');
    await svc.start();
    const url = svc.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await pidAt(url)).toBe(svc.pid);

    await svc.stop();
    await svc.start();
    expect(svc.url).toBe(url);
    expect(await pidAt(url)).toBe(svc.pid);
  });

  it('is not ready because another process answers on its port: start fails naming the port', async () => {
    const stranger: Server = createServer((_, res) => res.end('{}'));
    await new Promise<void>((resolve) => stranger.listen(0, '127.0.0.1', resolve));
    const { port } = stranger.address() as AddressInfo;
    try {
      const svc = service(port);
      await expect(svc.start()).rejects.toThrow(PortInUseError);
      await expect(svc.start()).rejects.toThrow(`port in use: ${port} (stand-in)`);
    } finally {
      await new Promise((resolve) => stranger.close(resolve));
    }
  });
});
