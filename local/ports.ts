import { createServer } from 'node:net';

export interface PortClaim {
  /** Whose port it is: `orbit`, `axon`, `lambda`, `dynamo`, or a component another module adds. */
  readonly component: string;
  readonly port: number;
}

/** Ports the platform was told to use are taken by something else. */
export class PortInUseError extends Error {
  constructor(readonly busy: readonly PortClaim[]) {
    super(`port in use: ${busy.map((c) => `${c.port} (${c.component})`).join(', ')}`);
    this.name = 'PortInUseError';
  }
}

function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}

/** A port nothing listens on right now, on loopback. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return listenOnce(0, host);
}

/**
 * Fails before anything starts when a fixed port is taken, naming every busy one, so a newcomer gets
 * one message instead of a half-started platform. Port 0 claims are skipped (any free port will do).
 */
export async function assertPortsFree(claims: readonly PortClaim[], host = '127.0.0.1'): Promise<void> {
  const busy: PortClaim[] = [];
  for (const claim of claims) {
    if (claim.port === 0) continue;
    try {
      await listenOnce(claim.port, host);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      busy.push(claim);
    }
  }
  if (busy.length > 0) throw new PortInUseError(busy);
}
