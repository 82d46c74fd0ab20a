import { StringDecoder } from 'node:string_decoder';

/** A decision line is a few kilobytes (the handler bounds the recorded input to 4 KB); this is far beyond. */
export const MAX_LINE_CHARS = 1024 * 1024;

/**
 * Splits a byte stream into lines, yielding them in batches (one per chunk), so a file of any size
 * passes through with one chunk and one partial line in memory. Unlike readline, a line is bounded:
 * one longer than `MAX_LINE_CHARS` is dropped up to its newline and reported through `onOverlong`.
 * Empty lines are skipped.
 */
export async function* lineBatches(
  stream: AsyncIterable<Buffer | string>,
  onOverlong: (length: number) => void,
): AsyncGenerator<readonly string[]> {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let dropping = 0;
  for await (const chunk of stream) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    const batch: string[] = [];
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      const piece = text.slice(from, nl);
      from = nl + 1;
      if (dropping > 0) {
        onOverlong(dropping + piece.length);
        dropping = 0;
        continue;
      }
      const line = partial === '' ? piece : partial + piece;
      partial = '';
      if (line.length > MAX_LINE_CHARS) onOverlong(line.length);
      else if (line.trim() !== '') batch.push(line);
    }
    const rest = text.slice(from);
    if (dropping > 0) dropping += rest.length;
    else if (partial.length + rest.length > MAX_LINE_CHARS) {
      dropping = partial.length + rest.length;
      partial = '';
    } else partial += rest;
    if (batch.length > 0) yield batch;
  }
  const last = partial + decoder.end();
  if (dropping > 0) onOverlong(dropping + last.length);
  else if (last.trim() !== '') yield [last];
}
