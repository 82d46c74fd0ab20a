/**
 * The load client process `runLoad` forks: receives a `LoadSpec`, runs it, reports key-id changes as
 * they happen and every record at the end. It stops early on "stop", and exits if its parent goes.
 */
import { generateLoad, type LoadMessage, type LoadSpec } from './load.js';

let stopped = false;
const send = (message: LoadMessage) => process.send?.(message);

process.on('disconnect', () => process.exit(0));
process.on('message', (message: LoadSpec | 'stop') => {
  if (message === 'stop') {
    stopped = true;
    return;
  }
  generateLoad(message, {
    stopped: () => stopped,
    onKeyId: (keyId) => send({ type: 'key', keyId }),
    onUnderway: () => send({ type: 'underway' }),
  }).then(
    (result) => process.send?.({ type: 'done', result } satisfies LoadMessage, () => process.exit(0)),
    (error: unknown) => {
      console.error('load client failed:', error);
      process.exit(1);
    },
  );
});
