/**
 * One HTTP GET with the guarantees every source needs: a timeout that covers the body, a cap on
 * the body size, the status checked before any parsing (SEC error pages are HTML or XML), and
 * every failure turned into a classified `SourceError`.
 */

import { SourceError } from '../errors.js';

export type FetchFn = typeof fetch;

export interface GetOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  maxBytes: number;
  fetch: FetchFn;
  /** The time now in ms, to turn an HTTP-date Retry-After into a delay. */
  nowMs: () => number;
  /** Called at the moment the request is handed to fetch (the rate window stamps it). */
  onSend?: () => void;
}

/** A response whose status was 2xx, 304 (not modified) or 404 (a definite "no data"), body read in full. */
export interface HttpBody {
  status: number;
  body: Buffer;
  headers: Headers;
}

/** GETs `url`; resolves for 2xx, 304 and 404, throws `SourceError` for everything else. */
export async function httpGet(url: string, options: GetOptions): Promise<HttpBody> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    options.onSend?.();
    response = await options.fetch(url, { headers: options.headers, signal, redirect: 'follow' });
  } catch (error) {
    throw classifyFetchError(error, url, options.timeoutMs);
  }
  await rejectErrorStatus(response, url, options.nowMs);
  const body = await readCapped(response, url, options);
  return { status: response.status, body, headers: response.headers };
}

/**
 * Opens a GET whose body the caller streams (archives of GBs): `timeoutMs` covers only the wait
 * for the headers, and there is no size cap. Resolves for 2xx, 304 and 404 with the body unread,
 * throws the same `SourceError`s as `httpGet` for everything else.
 */
export async function httpOpen(url: string, options: Omit<GetOptions, 'maxBytes'>): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('no headers in time', 'TimeoutError')), options.timeoutMs);
  let response: Response;
  try {
    options.onSend?.();
    response = await options.fetch(url, { headers: options.headers, signal: controller.signal, redirect: 'follow' });
  } catch (error) {
    throw classifyFetchError(error, url, options.timeoutMs);
  } finally {
    clearTimeout(timer);
  }
  await rejectErrorStatus(response, url, options.nowMs);
  return response;
}

/** Returns for 2xx, 304 and 404; otherwise releases the connection and throws the classified `SourceError`. */
async function rejectErrorStatus(response: Response, url: string, nowMs: () => number): Promise<void> {
  const { status } = response;
  if (status === 404 || status === 304 || (status >= 200 && status < 300)) return;
  // Error bodies are not needed (and may be large HTML pages): release the connection. A 403's
  // page is read in part: SEC's rate block and its User-Agent refusal differ only there.
  const page = status === 403 ? await readStart(response, ERROR_PAGE_BYTES) : undefined;
  await response.body?.cancel().catch(() => undefined);
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), nowMs());
    throw new SourceError('rate_limited', `HTTP 429 Too Many Requests from ${hostOf(url)}`, { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  if (status >= 500) throw new SourceError('http_5xx', `HTTP ${status} from ${hostOf(url)}`, { status });
  if (status === 403) throw new SourceError('forbidden', `HTTP 403 Forbidden from ${hostOf(url)}`, { status, ...(page === undefined ? {} : { page }) });
  throw new SourceError('http_4xx', `HTTP ${status} from ${hostOf(url)}`, { status });
}

/** How much of an error page is kept: SEC's block page says what it is within its first few KB. */
const ERROR_PAGE_BYTES = 16 * 1024;

/** The first `limit` bytes of a body as text; undefined when it cannot be read. */
async function readStart(response: Response, limit: number): Promise<string | undefined> {
  if (response.body === null) return undefined;
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
  } catch {
    return undefined;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks, total).subarray(0, limit).toString('utf8');
}

/** Parses a body as JSON; HTML or XML error pages served with 200 become `invalid_json`. */
export function parseJsonBody(body: Buffer, url: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    const start = body.subarray(0, 64).toString('utf8').trimStart();
    const kind = start.startsWith('<') ? 'an HTML/XML page' : 'malformed or truncated JSON';
    throw new SourceError('invalid_json', `${hostOf(url)} sent ${kind} (${body.length} bytes) instead of JSON`);
  }
}

async function readCapped(response: Response, url: string, options: GetOptions): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(url, options.maxBytes);
  }
  if (response.body === null) return Buffer.alloc(0);
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(url, options.maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw classifyFetchError(error, url, options.timeoutMs);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(url: string, maxBytes: number): SourceError {
  return new SourceError('body_too_large', `${hostOf(url)} sent a body over the ${(maxBytes / 1048576).toFixed(0)} MiB cap`);
}

/** Undici wraps the real cause (ECONNREFUSED, socket closed, abort) in a TypeError. */
export function classifyFetchError(error: unknown, url: string, timeoutMs: number): SourceError {
  // Already classified where it happened (a proxy's refusal, see proxy-fetch.ts).
  if (error instanceof SourceError) return error;
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || err.cause?.name === 'TimeoutError') {
    return new SourceError('timeout', `no complete answer from ${hostOf(url)} within ${timeoutMs / 1000}s`);
  }
  const cause = err.cause?.code ?? err.cause?.message ?? err.message ?? String(error);
  return new SourceError('network', `network error talking to ${hostOf(url)}: ${cause}`);
}

/** Retry-After is either delta-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The host of a URL for messages (the URL itself when it does not parse). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
