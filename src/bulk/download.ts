import { SourceError } from '../errors.js';
import { classifyFetchError } from '../sources/http.js';
import type { SourceClient } from '../sources/source-client.js';
import { plural } from '../util/text.js';

/**
 * A streamed GET of one of SEC's bulk archives (1.4–1.6 GB), read as it arrives and never stored.
 * A download that long meets dropped and stalled connections, so it resumes where it stopped with
 * `Range` + `If-Range`: the bytes continue only if the archive on the server is still the same
 * one, and each resume is one more request under the source's rate ceiling.
 */

/** onProgress is called at most once per this many bytes (and once at the end). */
const PROGRESS_STEP_BYTES = 256 * 1024;
/** Compressed transfer would make Content-Length and the byte offsets of `Range` disagree with the archive. */
const IDENTITY = { 'Accept-Encoding': 'identity' };
const IDLE = Symbol('idle');
const ABORTED = Symbol('aborted');

export interface ArchiveDownload {
  /** The archive's bytes in order, seamless across resumes; iterate once. */
  chunks: AsyncIterable<Uint8Array>;
  /** From Content-Length; null when the server did not say (then truncation cannot be detected). */
  totalBytes: number | null;
  received(): number;
  resumes(): number;
}

export interface OpenArchiveOptions {
  /** Re-requests allowed after the connection dropped or stalled; then the download fails. */
  maxResumes: number;
  /** A body that sends nothing for this long is abandoned and resumed. */
  idleTimeoutMs: number;
  /** Called as bytes arrive, at most once per 256 KiB, and at the end. */
  onProgress?: (received: number, total: number | null) => void;
  /** Aborted (SIGINT, time budget): the chunks end at once, the connection is closed, nothing is resumed. */
  signal?: AbortSignal;
}

/** What one download's stream and its resumes share: the request, the first answer's facts, the counts so far. */
interface Transfer {
  client: SourceClient;
  url: string;
  options: OpenArchiveOptions;
  totalBytes: number | null;
  /** The strong validator for If-Range; null when the server sent none. */
  validator: string | null;
  rangesRefused: boolean;
  received: number;
  resumes: number;
}

/** Null for a 404 (SEC has not published it). The body is not read until `chunks` is iterated. */
export async function openArchive(client: SourceClient, url: string, options: OpenArchiveOptions): Promise<ArchiveDownload | null> {
  const first = await client.openStream(url, IDENTITY);
  if (first.status === 404) {
    await release(first);
    return null;
  }
  if (first.status !== 200) {
    await release(first);
    throw new SourceError('unexpected_response', `${url}: HTTP ${first.status} where the archive was expected`, { status: first.status });
  }
  const transfer: Transfer = {
    client,
    url,
    options,
    totalBytes: parseLength(first.headers.get('content-length')),
    validator: strongValidator(first.headers),
    rangesRefused: first.headers.get('accept-ranges')?.trim().toLowerCase() === 'none',
    received: 0,
    resumes: 0,
  };
  return { chunks: streamArchive(transfer, first), totalBytes: transfer.totalBytes, received: () => transfer.received, resumes: () => transfer.resumes };
}

/** Asks for the rest of the archive from the byte reached; throws unless the server continues the same archive there. */
async function resumeArchive(transfer: Transfer): Promise<Response> {
  const { client, url, totalBytes, validator, received } = transfer;
  const headers: Record<string, string> = { ...IDENTITY, Range: `bytes=${received}-` };
  // Without a validator a changed archive goes unnoticed unless its size changed (checked below).
  if (validator !== null) headers['If-Range'] = validator;
  let answer: Response;
  try {
    answer = await client.openStream(url, headers);
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    throw new SourceError(error.type, `${url}: resuming at byte ${received}: ${error.message}`, error.details);
  }
  if (answer.status === 206) {
    const range = parseContentRange(answer.headers.get('content-range'));
    if (range !== null && range.start === received && (totalBytes === null || range.total === null || range.total === totalBytes)) return answer;
    await release(answer);
    const sent = answer.headers.get('content-range') ?? 'no Content-Range';
    throw new SourceError('unexpected_response', `${url}: asked to resume at byte ${received} of ${totalBytes ?? 'unknown'}, the server sent ${sent}`);
  }
  await release(answer);
  if (answer.status === 200) {
    throw new SourceError(
      'unexpected_response',
      `${url}: the server answered the resume at byte ${received} with the whole archive (HTTP 200): it changed since the download started, or ranges are not supported`,
      { status: 200 },
    );
  }
  throw new SourceError('unexpected_response', `${url}: HTTP ${answer.status} to the resume at byte ${received}`, { status: answer.status });
}

/** The archive's bytes from `first` on, resuming after a dropped or stalled connection while resumes are left. */
async function* streamArchive(transfer: Transfer, first: Response): AsyncGenerator<Uint8Array> {
  const { client, url, options, totalBytes } = transfer;
  let response = first;
  let reported = 0;
  for (;;) {
    let cut: string | null = null;
    const reader = response.body?.getReader();
    try {
      for (;;) {
        if (reader === undefined) break;
        const next = await readWithin(reader, options.idleTimeoutMs, options.signal);
        if (next === ABORTED) return;
        if (next === IDLE) {
          cut = `no data for ${options.idleTimeoutMs / 1000}s`;
          break;
        }
        if (next.done) break;
        transfer.received += next.value.byteLength;
        client.countBytes(next.value.byteLength);
        if (totalBytes !== null && transfer.received > totalBytes) {
          throw new SourceError('unexpected_response', `${url}: more bytes than the ${totalBytes} announced`);
        }
        if (transfer.received - reported >= PROGRESS_STEP_BYTES) {
          reported = transfer.received;
          options.onProgress?.(transfer.received, totalBytes);
        }
        yield next.value;
      }
    } catch (error) {
      if (error instanceof SourceError) throw error;
      cut = classifyFetchError(error, url, options.idleTimeoutMs).message;
    } finally {
      // Also when the reader stops early: the connection must not stay open. Not awaited: a
      // stalled socket may take its time to close.
      reader?.cancel().catch(() => undefined);
    }
    // Every announced byte came: the archive is whole even if the connection then failed or went
    // quiet (a resume from the last byte would only get a 416).
    if ((cut === null && totalBytes === null) || transfer.received === totalBytes) {
      if (transfer.received !== reported) options.onProgress?.(transfer.received, totalBytes);
      return;
    }
    const reason = cut ?? 'the connection closed early';
    if (transfer.rangesRefused || transfer.resumes >= options.maxResumes) {
      const tried = transfer.rangesRefused ? 'the server refuses ranges' : plural(transfer.resumes, 'resume', 'resumes');
      throw new SourceError('network', `${url}: truncated: got ${transfer.received} of ${totalBytes ?? 'unknown'} bytes (${reason}; ${tried})`);
    }
    if (options.signal?.aborted === true) return;
    transfer.resumes += 1;
    response = await resumeArchive(transfer);
  }
}

/** The next read, IDLE when nothing came within `ms`, ABORTED when `signal` is. */
async function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number, signal?: AbortSignal): Promise<Awaited<ReturnType<typeof reader.read>> | typeof IDLE | typeof ABORTED> {
  if (signal?.aborted === true) return ABORTED;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const idle = new Promise<typeof IDLE>((resolve) => {
    timer = setTimeout(resolve, ms, IDLE);
  });
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([reader.read(), idle, aborted]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

/** If-Range needs a strong ETag; a weak one falls back to Last-Modified. */
function strongValidator(headers: Headers): string | null {
  const etag = headers.get('etag');
  if (etag !== null && !etag.startsWith('W/')) return etag;
  return headers.get('last-modified');
}

function parseLength(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value);
}

/** `bytes 100-199/1000` (or `/*`); null when it is not that. */
function parseContentRange(value: string | null): { start: number; total: number | null } | null {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (match === null) return null;
  return { start: Number(match[1]), total: match[2] === '*' ? null : Number(match[2]) };
}

async function release(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
