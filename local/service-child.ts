/**
 * Entry point of every service process the local platform starts: `node --import tsx service-child.ts
 * <main.ts>`. It ties the child's life to its parent so nothing outlives it: when the parent goes away
 * (its end of stdin closes) the service gets SIGTERM and drains like in ECS. A hard lifetime cap
 * (`LOCAL_MAX_LIFETIME_MS`, set by bounded runs such as the resilience suite) ends it regardless.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Server } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const main = process.argv[2];
if (!main) {
  console.error('usage: service-child.ts <path to the service main.ts>');
  process.exit(2);
}

const lifetime = Number(process.env.LOCAL_MAX_LIFETIME_MS ?? 0);
if (lifetime > 0) setTimeout(() => process.kill(process.pid, 'SIGKILL'), lifetime).unref();

process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.on('error', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.resume();
// stdin must not keep the process alive once the service has closed its server.
process.stdin.unref?.();

// The parent learns the port the service bound: with PORT=0 the kernel picks one nobody holds, where a
// port probed free by the parent could be taken by another process before the service binds it.
subscribe('tracing:net.server.listen:asyncEnd', (message) => {
  const address = (message as { server: Server }).server.address();
  if (typeof address === 'object' && address) process.send?.({ listening: address.port });
});
process.channel?.unref();

await import(pathToFileURL(resolve(main)).href);
