import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type DecisionLogRecord, decisionLogChannel } from '../lambdas/governance/decision-log.js';

export interface LocalDecisionLog {
  readonly path: string;
  /** Decisions appended since the log started. */
  readonly written: () => number;
  stop(): Promise<void>;
}

/**
 * Appends every decision the in-process decision function makes to a JSONL file, one record per line
 * in the shape of its CloudWatch log line, so `npx governance impact --decisions <file>` replays local
 * traffic exactly as it would a deployed environment's.
 */
export async function startDecisionLog(path: string): Promise<LocalDecisionLog> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path, { flags: 'a' });
  await once(out, 'open');
  let written = 0;
  const append = (record: unknown) => {
    out.write(`${JSON.stringify(record as DecisionLogRecord)}\n`);
    written++;
  };
  decisionLogChannel.subscribe(append);
  return {
    path,
    written: () => written,
    stop: async () => {
      decisionLogChannel.unsubscribe(append);
      await new Promise<void>((resolve) => out.end(resolve));
    },
  };
}
