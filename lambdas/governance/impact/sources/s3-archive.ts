import { pipeline, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { ImpactReplay } from '../replay.js';

/** Where the log archive's Firehose stream writes (`lib/constructs/log-archive.ts`: `logs/!{timestamp:yyyy/MM/dd}/`). */
export const ARCHIVE_PREFIX = 'logs/';

export interface ArchiveSourceOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Only events of this log group (the decision function's); all groups when absent. */
  readonly logGroup?: string;
  /** Epoch milliseconds, inclusive. */
  readonly from: number;
  /** Epoch milliseconds, exclusive. */
  readonly to: number;
  readonly replay: ImpactReplay;
}

/** One CloudWatch Logs subscription batch, as Firehose delivers it. */
interface Envelope {
  readonly messageType?: string;
  readonly logGroup?: string;
  readonly logEvents?: readonly { readonly timestamp?: number; readonly message?: string }[];
}

/** Firehose records are at most 1,000 KiB; a JSON value beyond this is not a subscription batch. */
const MAX_OBJECT_CHARS = 8 * 1024 * 1024;
const DAY_MS = 86_400_000;
/** Firehose files by arrival time: an event logged before midnight may land in the next day's prefix. */
const DELIVERY_SLACK_MS = 15 * 60_000;

function dayPrefix(time: number): string {
  const d = new Date(time);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${ARCHIVE_PREFIX}${d.getUTCFullYear()}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/`;
}

/**
 * The decision lines of a window from the S3 log archive. CloudWatch Logs gzips each subscription
 * batch (`{messageType, logGroup, logEvents}`) and Firehose gzips the concatenated batches again,
 * so an object is gunzipped once, and again when what comes out is itself gzip; the result is a
 * run of JSON envelopes without separators. Objects are streamed, never held whole. A truncated or
 * corrupt object counts as `truncated-gzip` after its complete batches are read; one that cannot be
 * fetched counts as `unreadable-object`.
 */
export async function* archiveSource(options: ArchiveSourceOptions): AsyncGenerator<readonly string[]> {
  const { client, bucket } = options;
  const lastDay = Math.floor((options.to + DELIVERY_SLACK_MS) / DAY_MS);
  for (let day = Math.floor(options.from / DAY_MS); day <= lastDay; day++) {
    for await (const page of paginateListObjectsV2(
      { client },
      { Bucket: bucket, Prefix: dayPrefix(day * DAY_MS) },
    )) {
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        // Written before the window opened, so it holds only events from before it.
        if (object.LastModified && object.LastModified.getTime() < options.from) continue;
        yield* objectLines(options, object.Key);
      }
    }
  }
}

async function* objectLines(options: ArchiveSourceOptions, key: string): AsyncGenerator<readonly string[]> {
  let body: Readable;
  try {
    const response = await options.client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
    body = response.Body as Readable;
    if (!body) throw new Error('no body');
  } catch (error) {
    options.replay.skip('unreadable-object', `s3://${options.bucket}/${key}: ${(error as Error).message}`);
    return;
  }
  try {
    for await (const text of jsonValues(gunzipNested(body))) {
      const lines = envelopeLines(text, options);
      if (lines === undefined) {
        options.replay.skip('unreadable-object', `s3://${options.bucket}/${key}: a batch that is not JSON`);
      } else if (lines.length > 0) yield lines;
    }
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    const kind = code.startsWith('Z_') ? 'truncated-gzip' : 'unreadable-object';
    options.replay.skip(kind, `s3://${options.bucket}/${key}: ${(error as Error).message}`);
  } finally {
    body.destroy();
  }
}

/** The messages of one envelope within the window; a bare log line (Firehose set to decompress) passes as is. */
function envelopeLines(text: string, options: ArchiveSourceOptions): string[] | undefined {
  let value: Envelope;
  try {
    value = JSON.parse(text) as Envelope;
  } catch {
    return undefined;
  }
  if (value.messageType === undefined) return [text];
  if (value.messageType !== 'DATA_MESSAGE') return [];
  if (options.logGroup !== undefined && value.logGroup !== options.logGroup) return [];
  const lines: string[] = [];
  for (const event of value.logEvents ?? []) {
    const t = event.timestamp ?? 0;
    if (typeof event.message === 'string' && t >= options.from && t < options.to) lines.push(event.message);
  }
  return lines;
}

/** Gunzips a stream, and once more if the output is gzip again (CloudWatch Logs' own compression). */
async function* gunzipNested(body: Readable): AsyncGenerator<Buffer> {
  // pipeline, not pipe: an error anywhere must reach the reader, or the iteration would hang.
  const outer = pipeline(body, createGunzip(), () => {});
  const iterator = outer[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = first.value as Buffer;
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      yield next.value as Buffer;
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    yield* rest();
    return;
  }
  yield* pipeline(Readable.from(rest()), createGunzip(), () => {});
}

/**
 * Splits concatenated JSON values (`{...}{...}` or one per line) without parsing them: tracks
 * string and brace depth, so only the current value is held.
 */
async function* jsonValues(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for await (const chunk of chunks) {
    const from = text.length;
    text += decoder.write(chunk);
    const values: string[] = [];
    for (let i = from; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = depth > 0;
      else if (c === 0x7b) {
        if (depth++ === 0) start = i;
      } else if (c === 0x7d && depth > 0 && --depth === 0) {
        values.push(text.slice(start, i + 1));
        start = -1;
      }
    }
    text = start >= 0 ? text.slice(start) : '';
    start = start >= 0 ? 0 : -1;
    if (text.length > MAX_OBJECT_CHARS)
      throw new Error(`a JSON value longer than ${MAX_OBJECT_CHARS} characters`);
    yield* values;
  }
}
