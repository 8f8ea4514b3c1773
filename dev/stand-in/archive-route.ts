import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Serves a bulk archive from disk the way SEC's servers do, so downloads can be tested resuming:
 * Content-Length, a strong ETag, `Range: bytes=N-` (or `N-M`) answered 206 with Content-Range,
 * and `If-Range`, whose mismatch (the archive changed) gets the whole file with a 200.
 */
export function serveArchiveFile(request: IncomingMessage, response: ServerResponse, file: string, etag: string): void {
  const size = statSync(file).size;
  const ifRange = request.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, size) : undefined;
  const headers = { 'Content-Type': 'application/zip', ETag: etag, 'Accept-Ranges': 'bytes' };
  if (range === 'unsatisfiable') {
    response.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` }).end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  const status = range === undefined ? 200 : 206;
  response.writeHead(status, {
    ...headers,
    'Content-Length': String(end - start + 1),
    ...(range === undefined ? {} : { 'Content-Range': `bytes ${start}-${end}/${size}` }),
  });
  if (request.method === 'HEAD' || end < start) {
    response.end();
    return;
  }
  const body = createReadStream(file, { start, end });
  body.on('error', (error) => response.destroy(error));
  body.pipe(response);
}

/** One `bytes=N-` or `bytes=N-M` range; undefined (serve it all) for anything else, as RFC 9110 allows. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d+)-(\d*)$/.exec(header?.trim() ?? '');
  if (match === null) return undefined;
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/**
 * Lets `bytes` of the answer's body through, then drops the connection ('drop') or sends nothing
 * more while keeping it open ('stall'): a download that breaks off, or one a server leaves hanging.
 */
export function cutAfter(response: ServerResponse, bytes: number, kind: 'drop' | 'stall'): void {
  const write = response.write.bind(response) as (chunk: Buffer, done?: () => void) => boolean;
  let sent = 0;
  response.write = ((chunk: Buffer) => {
    const room = bytes - sent;
    if (room <= 0) return true;
    sent += chunk.length;
    if (chunk.length < room) return write(chunk);
    return write(chunk.subarray(0, room), () => {
      if (kind === 'drop') response.socket?.destroy();
    });
  }) as typeof response.write;
  if (kind === 'stall') response.end = (() => response) as typeof response.end;
}
