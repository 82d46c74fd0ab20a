/**
 * Entry point of every service process the suite starts: `node --import tsx child.ts <main.ts>`.
 * It ties the child's life to its parent so nothing outlives a run: when the parent goes away (its
 * end of stdin closes) the service gets SIGTERM and drains like in ECS; a hard lifetime cap
 * (`RESILIENCE_MAX_LIFETIME_MS`) ends it regardless.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const main = process.argv[2];
if (!main) {
  console.error('usage: child.ts <path to the service main.ts>');
  process.exit(2);
}

const lifetime = Number(process.env.RESILIENCE_MAX_LIFETIME_MS ?? 600_000);
setTimeout(() => process.kill(process.pid, 'SIGKILL'), lifetime).unref();

process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.on('error', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.resume();
// stdin must not keep the process alive once the service has closed its server.
process.stdin.unref?.();

await import(pathToFileURL(resolve(main)).href);
