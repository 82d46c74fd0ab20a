import { type LocalDynamo, startDynamo } from '../../local/dynamo.js';

export type { LocalDynamo };

/** The local platform's dynalite on a random free loopback port, tables active immediately. */
export function startDynalite(): Promise<LocalDynamo> {
  return startDynamo(0);
}
