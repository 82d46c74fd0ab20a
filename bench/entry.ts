import { pathToFileURL } from 'node:url';

/** Whether the module at `moduleUrl` is the script node was started with, so a bench file runs alone. */
export function isEntryScript(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && moduleUrl === pathToFileURL(script).href;
}
