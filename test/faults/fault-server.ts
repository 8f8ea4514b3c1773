import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Fault, StandIn } from '../../dev/stand-in/server.js';

/**
 * A proxy in front of the stand-in that adds the faults the stand-in does not have: wrong bodies
 * with status 200, broken or explosive gzip, redirects, connections dropped before or during the
 * answer. Everything else is passed to the stand-in byte for byte (content-encoding included), so
 * the stand-in's own faults (`status`, `hang`, `huge`…) work through it as well.
 */
export type ProxyFault =
  /** SEC's S3 "no such key" page, as SEC sometimes serves it with status 200. */
  | { kind: 'xml-200' }
  /** `content-encoding: gzip` on bytes that are not gzip. */
  | { kind: 'bad-gzip' }
  /** `content-length` of `bytes` declared up front (the cap can refuse before reading), then a trickle. */
  | { kind: 'declared-huge'; bytes: number }
  /** A valid gzip stream of `bytes` spaces (~1/1000 of that on the wire): the cap must count inflated bytes. */
  | { kind: 'gzip-bomb'; bytes: number }
  /** A redirect to the same path under `/moved` (which is served normally). */
  | { kind: 'redirect'; status: 301 | 302 | 307 | 308 }
  /** A redirect to itself, for ever. */
  | { kind: 'redirect-loop' }
  /** The real answer's headers and the first half of its body, then the socket is destroyed. */
  | { kind: 'cut-body' }
  /** Headers and a first chunk of body, then nothing: only a timeout covering the body ends it. */
  | { kind: 'stall-body' }
  /** The socket is destroyed before any answer. */
  | { kind: 'drop' };

export interface ProxyRecord {
  /** Milliseconds since the proxy started. */
  at: number;
  path: string;
  source: 'sec' | 'yahoo';
  /** What the client got: an HTTP status, or 0 when the connection was dropped or left hanging. */
  status: number;
  contentEncoding: string | null;
}

export interface FaultServer {
  url: string;
  requests: ProxyRecord[];
  /** The next `times` requests whose path matches get `fault`; stand-in faults are handed to the stand-in. */
  addFault(match: string | RegExp, fault: ProxyFault | Fault, times?: number): void;
  close(): Promise<void>;
}

/** Served under this prefix, a path is the stand-in's path after a redirect (and never faulted again). */
const MOVED = '/moved';
const SEC_NO_SUCH_KEY = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>api/xbrl/companyfacts.json</Key></Error>';
const PROXY_KINDS = new Set<string>(['xml-200', 'bad-gzip', 'gzip-bomb', 'declared-huge', 'redirect', 'redirect-loop', 'cut-body', 'stall-body', 'drop']);
const bombs = new Map<number, Buffer>();

export async function startFaultServer(standIn: StandIn): Promise<FaultServer> {
  const started = performance.now();
  const requests: ProxyRecord[] = [];
  const faults: { match: string | RegExp; fault: ProxyFault; remaining: number }[] = [];
  const target = new URL(standIn.url);

  const takeFault = (path: string): ProxyFault | undefined => {
    const entry = faults.find((item) => item.remaining > 0 && (typeof item.match === 'string' ? path.includes(item.match) : item.match.test(path)));
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    return entry.fault;
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const raw = request.url ?? '/';
    const moved = raw.startsWith(`${MOVED}/`);
    const path = moved ? raw.slice(MOVED.length) : raw;
    const record: ProxyRecord = { at: performance.now() - started, path: raw, source: path.startsWith('/v8/') ? 'yahoo' : 'sec', status: 0, contentEncoding: null };
    requests.push(record);
    const send = (status: number, body: string | Buffer, headers: Record<string, string>): void => {
      record.status = status;
      record.contentEncoding = headers['content-encoding'] ?? null;
      response.writeHead(status, headers);
      response.end(body);
    };
    const fault = moved ? undefined : takeFault(path);
    switch (fault?.kind) {
      case 'xml-200':
        return send(200, SEC_NO_SUCH_KEY, { 'content-type': 'application/xml' });
      case 'bad-gzip':
        return send(200, 'this is not a gzip stream, whatever the header says', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      case 'gzip-bomb':
        return send(200, bombOf(fault.bytes), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      case 'declared-huge':
        record.status = 200;
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(fault.bytes) });
        response.write('{"facts":');
        return;
      case 'redirect':
        return send(fault.status, '', { location: `${MOVED}${path}` });
      case 'redirect-loop':
        return send(302, '', { location: path });
      case 'drop':
        request.socket.destroy();
        return;
      case 'stall-body':
        record.status = 200;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"facts":{"us-gaap":{');
        return;
      case 'cut-body':
      case undefined:
        return forward(path, request, response, record, fault?.kind === 'cut-body');
    }
  };

  const forward = (path: string, request: IncomingMessage, response: ServerResponse, record: ProxyRecord, cut: boolean): void => {
    const upstream = httpRequest({ host: target.hostname, port: target.port, path, method: 'GET', headers: request.headers }, (answer) => {
      record.status = answer.statusCode ?? 0;
      record.contentEncoding = answer.headers['content-encoding'] ?? null;
      // The stand-in's own mid-body faults must reach the client as they are: a dead connection.
      answer.on('aborted', () => response.destroy());
      answer.on('error', () => response.destroy());
      if (!cut) {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        // The real length is declared, half is sent: the client sees the connection die mid-body.
        const headers = { ...answer.headers, 'content-length': String(body.length) };
        delete headers['transfer-encoding'];
        response.writeHead(200, headers);
        response.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => response.destroy(), 5));
      });
    });
    upstream.on('error', () => response.destroy());
    response.on('close', () => upstream.destroy());
    upstream.end();
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    addFault: (match, fault, times = 1) => {
      if (PROXY_KINDS.has(fault.kind)) faults.push({ match, fault: fault as ProxyFault, remaining: times });
      else standIn.addFault(match, fault as Fault, times);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens: connecting is refused at once. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function bombOf(bytes: number): Buffer {
  let bomb = bombs.get(bytes);
  if (bomb === undefined) {
    bomb = gzipSync(Buffer.alloc(bytes, 0x20), { level: 9 });
    bombs.set(bytes, bomb);
  }
  return bomb;
}
