import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { cutAfter, serveArchiveFile } from './archive-route.js';
import { answerBlocked, type Block, type BlockState } from './blocks.js';
import { applyFault, takeFault, truncatedAnswer, type Fault, type QueuedFault } from './faults.js';

export { SEC_ACCESS_DENIED, type Fault } from './faults.js';
export { SEC_BLOCK_PAGE, type Block } from './blocks.js';

/**
 * A local stand-in for SEC EDGAR and Yahoo Finance on 127.0.0.1, serving real-format bodies
 * (recorded real ones where we have them) with faults injected on demand. Used by the tests, the
 * demo and the benchmark; it never talks to the internet.
 */

/** A body as served: bytes of JSON (optionally stored gzipped, as SEC sends them). */
export interface Body {
  data: Buffer;
  gzipped: boolean;
}

export interface StandInData {
  tickerFile?: Body;
  companyFacts: Map<number, Body>;
  submissions: Map<number, Body>;
  charts: Map<string, Body>;
  /** Older submissions pages by name (`CIK0000320193-submissions-001.json`). */
  submissionPages?: Map<string, Body>;
  /** Filing documents by archive path (`320193/000032019324000123/aapl-20240928.htm`). */
  documents?: Map<string, Body>;
  /** Daily master indexes by path under daily-index/ (`2026/QTR4/master.20261124.idx`). */
  dailyIndexes?: Map<string, Body>;
  /** Bulk archives on disk by URL path (`/Archives/edgar/daily-index/xbrl/companyfacts.zip`), served with Range support. */
  archives?: Map<string, { file: string; etag: string }>;
  /** Each symbol's full daily history for the spark endpoint, oldest first (`close` may hold nulls, as Yahoo's does). */
  sparks?: Map<string, SparkHistory>;
}

export interface SparkHistory {
  /** Unix seconds. */
  timestamp: number[];
  close: (number | null)[];
}

export interface RequestRecord {
  /** Milliseconds since the stand-in started (monotonic). */
  at: number;
  path: string;
  source: 'sec' | 'yahoo';
  userAgent: string | undefined;
  status: number;
  /** The client's port: which connection (a proxy's, or the CLI's own) carried the request. */
  remotePort: number | undefined;
}

export interface StandIn {
  url: string;
  requests: RequestRecord[];
  /** The next `times` requests whose path matches get `fault` (checked in the order added). */
  addFault(match: string | RegExp, fault: Fault, times?: number): void;
  clearFaults(): void;
  /** A source-wide block (blocks.ts) from now on; null lifts it. */
  setBlock(block: Block | null): void;
  close(): Promise<void>;
}

export interface StandInOptions {
  data: StandInData;
  /** Added before every answer, to model the internet's latency. */
  latencyMs?: number;
  port?: number;
  /** Serve https:// with this key and certificate (the URL is then `https://127.0.0.1:port`). */
  tls?: { key: Buffer; cert: Buffer };
}

const SEC_404 = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>';
const SEC_403 = '<!DOCTYPE html><html><head><title>SEC.gov | Request Rate Threshold Exceeded</title></head><body><h1>Your Request Originates from an Undeclared Automated Tool</h1></body></html>';
const YAHOO_404 = '{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}';
/** Yahoo's ceiling on symbols per spark request, and its answer beyond it. */
const SPARK_MAX_SYMBOLS = 20;
const sparkError = (description: string): string => JSON.stringify({ spark: { result: null, error: { code: 'Bad Request', description } } });
/** Points a spark range covers: trading days in a week, a month, a year. */
const SPARK_RANGE_POINTS: Record<string, number> = { '5d': 5, '1mo': 22, '1y': 252 };

export function jsonBody(value: unknown): Body {
  return { data: Buffer.from(JSON.stringify(value)), gzipped: false };
}

/** What every request reads or records: the options, the log of requests, the faults queued and the answers left hanging. */
interface StandInState {
  options: StandInOptions;
  started: number;
  requests: RequestRecord[];
  faults: QueuedFault[];
  hanging: Set<ServerResponse>;
  blocks: BlockState;
}

export async function startStandIn(options: StandInOptions): Promise<StandIn> {
  const state: StandInState = { options, started: performance.now(), requests: [], faults: [], hanging: new Set(), blocks: { block: null, secRequests: 0, secBlockedAt: null } };
  const { faults, hanging } = state;
  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    handle(state, request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests: state.requests,
    addFault: (match, fault, times = 1) => faults.push({ match, fault, remaining: times }),
    clearFaults: () => faults.splice(0),
    setBlock: (block) => (state.blocks = { block, secRequests: 0, secBlockedAt: null }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Records the request, then answers it: a bulk archive, a fault, or the routed body. */
async function handle(state: StandInState, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { options } = state;
  const path = request.url ?? '/';
  const source: RequestRecord['source'] = path.startsWith('/v8/') || path.startsWith('/v7/') ? 'yahoo' : 'sec';
  const record: RequestRecord = { at: performance.now() - state.started, path, source, userAgent: request.headers['user-agent'], status: 0, remotePort: request.socket.remotePort };
  state.requests.push(record);
  if (options.latencyMs) await delay(options.latencyMs);
  const blocked = answerBlocked(state.blocks, source, path, performance.now() - state.started, response);
  if (blocked !== null) {
    record.status = blocked;
    return;
  }
  const fault = takeFault(state.faults, path);
  if (fault?.kind === 'delay') await delay(fault.ms);
  const archive = options.data.archives?.get(new URL(path, 'http://stand-in').pathname);
  if (archive !== undefined && (fault === undefined || fault.kind === 'delay' || fault.kind === 'cut')) {
    record.status = 200;
    if (fault?.kind === 'cut') cutAfter(response, fault.afterBytes, 'drop');
    serveArchiveFile(request, response, archive.file, archive.etag);
    response.on('finish', () => (record.status = response.statusCode));
    return;
  }
  if (fault?.kind === 'truncated') {
    serveTruncated(options.data, record, response, fault);
    return;
  }
  if (fault !== undefined && fault.kind !== 'delay' && fault.kind !== 'cut') {
    applyFault(fault, record, response, state.hanging);
    return;
  }
  serveRouted(options.data, request, response, record);
}

/** The routed body cut short (a `truncated` fault); a 404 when there is no body to cut. */
function serveTruncated(data: StandInData, record: RequestRecord, response: ServerResponse, fault: Extract<Fault, { kind: 'truncated' }>): void {
  const body = route(data, record.path);
  if (body === undefined || 'status' in body) {
    record.status = 404;
    response.writeHead(404, { 'content-type': 'application/xml' });
    response.end(SEC_404);
    return;
  }
  const { bytes, headers } = truncatedAnswer(body.gzipped ? gunzipSync(body.data) : body.data, fault);
  record.status = 200;
  response.writeHead(200, { 'content-type': 'text/plain', ...headers });
  response.end(bytes);
}

/** The normal answer: the routed body (gzipped as the client and the body allow), a 304, a 403 or a 404. */
function serveRouted(data: StandInData, request: IncomingMessage, response: ServerResponse, record: RequestRecord): void {
  const send = (status: number, body: string | Buffer, headers: Record<string, string> = {}): void => {
    record.status = status;
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(body);
  };
  // SEC refuses requests without a declared User-Agent, as the real one does.
  if (record.source === 'sec' && !request.headers['user-agent']?.includes('@')) {
    send(403, SEC_403, { 'content-type': 'text/html' });
    return;
  }
  const routed = route(data, record.path);
  if (routed !== undefined && 'status' in routed) {
    send(routed.status, routed.body);
    return;
  }
  const body = routed;
  if (body === undefined) {
    if (record.source === 'sec') send(404, SEC_404, { 'content-type': 'application/xml' });
    else send(404, YAHOO_404);
    return;
  }
  // Validators as SEC's servers send them: a 304 without a body when the client has this version.
  const etag = etagOf(body);
  if (request.headers['if-none-match'] === etag) {
    record.status = 304;
    response.writeHead(304, { etag });
    response.end();
    return;
  }
  const acceptsGzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
  if (body.gzipped && acceptsGzip) send(200, body.data, { 'content-encoding': 'gzip', etag });
  else if (body.gzipped) send(200, gunzipSync(body.data), { etag });
  else if (acceptsGzip && body.data.length > 4096) send(200, gzipSync(body.data), { 'content-encoding': 'gzip', etag });
  else send(200, body.data, { etag });
}

function route(data: StandInData, path: string): Body | { status: number; body: string } | undefined {
  const url = new URL(path, 'http://stand-in');
  const pathname = url.pathname;
  if (pathname === '/v8/finance/spark') return spark(data, url.searchParams);
  if (pathname === '/files/company_tickers_exchange.json') return data.tickerFile;
  const facts = /^\/api\/xbrl\/companyfacts\/CIK(\d{10})\.json$/.exec(pathname);
  if (facts) return data.companyFacts.get(Number(facts[1]));
  const index = /^\/Archives\/edgar\/daily-index\/(\d{4}\/QTR[1-4]\/master\.\d{8}\.idx)$/.exec(pathname);
  if (index) return data.dailyIndexes?.get(index[1] as string);
  const document = /^\/Archives\/edgar\/data\/(\d+\/\d{18}\/[^/]+)$/.exec(pathname);
  if (document) return data.documents?.get(document[1] as string);
  const page = /^\/submissions\/(CIK\d{10}-submissions-\d{3}\.json)$/.exec(pathname);
  if (page) return data.submissionPages?.get(page[1] as string);
  const submissions = /^\/submissions\/CIK(\d{10})\.json$/.exec(pathname);
  if (submissions) return data.submissions.get(Number(submissions[1]));
  const chart = /^\/v8\/finance\/chart\/([^/]+)$/.exec(pathname);
  if (chart) return data.charts.get(decodeURIComponent(chart[1] as string));
  return undefined;
}

/**
 * The v8 spark answer: each requested symbol keyed by itself, with the last points of its history
 * in the range; a symbol without history gets the shape Yahoo gives a delisted one. Yahoo's 400
 * body for more than 20 symbols, and for a missing list or an unknown range.
 */
function spark(data: StandInData, query: URLSearchParams): Body | { status: number; body: string } {
  const symbols = (query.get('symbols') ?? '').split(',').filter((symbol) => symbol !== '');
  if (symbols.length === 0) return { status: 400, body: sparkError('Missing required query parameter=symbols') };
  if (symbols.length > SPARK_MAX_SYMBOLS) return { status: 400, body: sparkError(`Number of symbols needs to be less than or equal to ${SPARK_MAX_SYMBOLS}`) };
  const points = SPARK_RANGE_POINTS[query.get('range') ?? ''];
  if (points === undefined) return { status: 400, body: sparkError(`Invalid input - range=${query.get('range') ?? ''}`) };
  const answer: Record<string, unknown> = {};
  for (const symbol of symbols) {
    const history = data.sparks?.get(symbol);
    const from = history === undefined ? 0 : Math.max(0, history.timestamp.length - points);
    answer[symbol] = {
      symbol,
      timestamp: history?.timestamp.slice(from) ?? [],
      close: history?.close.slice(from) ?? null,
      chartPreviousClose: (from > 0 ? history?.close[from - 1] : null) ?? null,
      previousClose: null,
      dataGranularity: 300,
      start: null,
      end: null,
    };
  }
  return jsonBody(answer);
}

const etags = new WeakMap<Body, string>();

function etagOf(body: Body): string {
  let etag = etags.get(body);
  if (etag === undefined) {
    etag = `"${createHash('sha1').update(body.data).digest('hex').slice(0, 20)}"`;
    etags.set(body, etag);
  }
  return etag;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
