// A response's body: read within the size cap (a failing one only as far as its message
// needs), then inflated, whatever the server announced.
import { gunzip, inflate, inflateRaw } from 'node:zlib';
import { promisify } from 'node:util';
import type { Dispatcher } from 'undici';
import { HarvestError, NetworkError, ResponseTooLargeError, type ErrorContext } from './errors.ts';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

/** How much of a 5xx or 429 body is read (its start is quoted in the error), and of a 4xx (an OAI-PMH error document). */
const ERROR_BODY_BYTES = 64 * 1024;
const OAI_ERROR_BODY_BYTES = 1024 * 1024;

/** A request in flight, as its waiting notices describe it. */
export interface RequestWatch {
  /** 'headers' until the server starts answering, then 'body' while it is read. */
  phase: 'headers' | 'body';
  bytes: number;
  lastByteAt: number;
  stop: () => void;
}

export interface BodyRead {
  ctx: ErrorContext;
  /** The error for a read that failed: a deadline, a stop, or the network. */
  ended: (error: unknown) => HarvestError;
  reading: RequestWatch;
  maxResponseBytes: number;
}

/**
 * The body's bytes, within the size cap. A failing response is read only as far as its
 * message needs: a 100 MB error page is quoted from its start, and an OAI-PMH error document is small.
 */
export async function readBody(response: Dispatcher.ResponseData, read: BodyRead): Promise<{ raw: Buffer; size: number; cutShort: boolean }> {
  const { ctx, ended, reading, maxResponseBytes } = read;
  const chunks: Buffer[] = [];
  let size = 0;
  const errorLimit = response.statusCode >= 500 || response.statusCode === 429 ? ERROR_BODY_BYTES : response.statusCode >= 400 ? OAI_ERROR_BODY_BYTES : undefined;
  let cutShort = false;
  const declared = Number(response.headers['content-length']);
  let whole = errorLimit === undefined && Number.isInteger(declared) && declared > 0 && declared <= maxResponseBytes
    ? Buffer.allocUnsafe(declared) : undefined;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      reading.bytes = size;
      reading.lastByteAt = Date.now();
      if (errorLimit !== undefined && size > errorLimit) {
        chunks.push(chunk.subarray(0, chunk.length - (size - errorLimit)));
        size = errorLimit;
        cutShort = true;
        response.body.destroy();
        break;
      }
      if (size > maxResponseBytes) {
        response.body.destroy();
        throw new ResponseTooLargeError(`response larger than the cap of ${maxResponseBytes} bytes`, { ...ctx, stage: 'http' });
      }
      // With a Content-Length the body is copied once into its final buffer, not held twice.
      if (whole && size <= whole.length) chunk.copy(whole, size - chunk.length);
      else {
        if (whole) chunks.push(whole.subarray(0, size - chunk.length));
        whole = undefined;
        chunks.push(chunk);
      }
    }
  } catch (error) {
    if (error instanceof HarvestError) throw error;
    throw ended(error);
  }
  const raw = whole ? whole.subarray(0, size) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  return { raw, size, cutShort };
}

export async function decompress(raw: Buffer, { encoding, ctx, maxOutputLength }: { encoding: string; ctx: ErrorContext; maxOutputLength: number }): Promise<Uint8Array> {
  try {
    // gzip is recognised by its magic bytes, announced or not (metha does the same).
    if (raw[0] === 0x1f && raw[1] === 0x8b) return await gunzipAsync(raw, { maxOutputLength });
    if (encoding === 'deflate') {
      // "deflate" is zlib-wrapped per the RFC, raw in some servers' hands.
      return raw[0] === 0x78 ? await inflateAsync(raw, { maxOutputLength }) : await inflateRawAsync(raw, { maxOutputLength });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ResponseTooLargeError(`decompressed response larger than the cap of ${maxOutputLength} bytes`, { ...ctx, stage: 'http' });
    }
    // A body cut off mid-stream fails to inflate: a transport fault, worth a retry.
    throw new NetworkError(`the compressed body is corrupt or cut off: ${(error as Error).message}`, { ...ctx, stage: 'http' }, { cause: error });
  }
  return raw;
}
