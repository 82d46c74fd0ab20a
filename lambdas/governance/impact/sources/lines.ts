/** A decision line is a few kilobytes (the handler bounds the recorded input to 4 KB); this is far beyond. */
export const MAX_LINE_BYTES = 1024 * 1024;
const NEWLINE = 10;

/**
 * Splits a byte stream into lines, yielding them in batches (one per chunk), so a file of any size
 * passes through with one chunk and one partial line in memory. Unlike readline, a line is bounded:
 * one longer than `MAX_LINE_BYTES` is dropped up to its newline and reported through `onOverlong`.
 * Empty lines are skipped.
 *
 * Each line is decoded on its own (a newline byte never falls inside a multi-byte character), not
 * sliced from a decoded chunk: a value the replay keeps from a line (an example's ids) would keep
 * that whole chunk alive with it, and thousands of examples would hold most of a file in memory.
 */
export async function* lineBatches(
  stream: AsyncIterable<Buffer | string>,
  onOverlong: (bytes: number) => void,
): AsyncGenerator<readonly string[]> {
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let dropping = false;
  for await (const data of stream) {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    const batch: string[] = [];
    let from = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, from)) {
      const bytes = partialBytes + nl - from;
      if (dropping || bytes > MAX_LINE_BYTES) onOverlong(bytes);
      else {
        const piece = chunk.subarray(from, nl);
        const line = (partialBytes === 0 ? piece : Buffer.concat([...partial, piece])).toString('utf8');
        if (line.trim() !== '') batch.push(line);
      }
      partial = [];
      partialBytes = 0;
      dropping = false;
      from = nl + 1;
    }
    if (from < chunk.length) {
      partialBytes += chunk.length - from;
      dropping ||= partialBytes > MAX_LINE_BYTES;
      if (dropping) partial = [];
      else partial.push(chunk.subarray(from));
    }
    if (batch.length > 0) yield batch;
  }
  if (dropping) onOverlong(partialBytes);
  else if (partialBytes > 0) {
    const last = Buffer.concat(partial).toString('utf8');
    if (last.trim() !== '') yield [last];
  }
}
