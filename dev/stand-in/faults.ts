import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

/* The stand-in's injected faults: which request gets one, and how each kind is answered. */

/** What a matching request gets instead of the normal answer. */
export type Fault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'html' }
  | { kind: 'reset' }
  | { kind: 'huge'; bytes: number }
  | { kind: 'delay'; ms: number }
  /** An archive download whose connection drops after this many bytes of the answer. */
  | { kind: 'cut'; afterBytes: number }
  /**
   * The normal body cut to the first `keep` share (0–1) of its bytes — of its gzip stream when
   * `gzip` — sent whole as far as HTTP goes (a Content-Length of what is sent): a stored copy cut
   * short. Node's fetch reads a gzip stream that stops early without an error.
   */
  | { kind: 'truncated'; keep: number; gzip: boolean }
  /** 403 with the XML SEC's archives answer for a file they do not hold (a daily index not published yet). */
  | { kind: 'not-published' };

/** SEC's answer (403) for an archive file it does not hold, such as a daily index before it is published. */
export const SEC_ACCESS_DENIED = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';

/** A fault added with addFault, for the next `remaining` requests whose path matches. */
export interface QueuedFault {
  match: string | RegExp;
  fault: Fault;
  remaining: number;
}

/** The first fault still due whose match fits `path`, counted as used. */
export function takeFault(faults: QueuedFault[], path: string): Fault | undefined {
  const index = faults.findIndex((entry) => entry.remaining > 0 && (typeof entry.match === 'string' ? path.includes(entry.match) : entry.match.test(path)));
  if (index < 0) return undefined;
  const entry = faults[index] as (typeof faults)[number];
  entry.remaining -= 1;
  return entry.fault;
}

/** The bytes of `body` (plain) cut as a `truncated` fault says, with the headers that send them. */
export function truncatedAnswer(plain: Buffer, fault: Extract<Fault, { kind: 'truncated' }>): { bytes: Buffer; headers: Record<string, string> } {
  const whole = fault.gzip ? gzipSync(plain) : plain;
  const bytes = whole.subarray(0, Math.floor(whole.length * fault.keep));
  return { bytes, headers: { 'content-length': String(bytes.length), ...(fault.gzip ? { 'content-encoding': 'gzip' } : {}) } };
}

/** Answers with `fault` instead of the normal answer, recording the status the client will see (-1 none, -2 a reset). */
export function applyFault(fault: Exclude<Fault, { kind: 'delay' | 'cut' | 'truncated' }>, record: { status: number }, response: ServerResponse, hanging: Set<ServerResponse>): void {
  switch (fault.kind) {
    case 'not-published':
      record.status = 403;
      response.writeHead(403, { 'content-type': 'application/xml' });
      response.end(SEC_ACCESS_DENIED);
      return;
    case 'status':
      record.status = fault.status;
      response.writeHead(fault.status, { 'content-type': 'text/html', ...fault.headers });
      response.end(fault.body ?? `<html><body>HTTP ${fault.status}</body></html>`);
      return;
    case 'hang':
      // Headers never come; the client's timeout has to end it.
      record.status = -1;
      hanging.add(response);
      return;
    case 'malformed':
      record.status = 200;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"cik":320193,"entityName":"Apple Inc.","facts":{"us-gaap":{"EarningsPerShareDiluted":{"units":{"USD/shares":[{"end":"2024-09-28","val":6.0');
      return;
    case 'html':
      record.status = 200;
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!DOCTYPE html><html><body>Service temporarily unavailable</body></html>');
      return;
    case 'reset':
      record.status = -2;
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
      response.write('{"facts":{');
      setTimeout(() => response.destroy(), 5);
      return;
    case 'huge': {
      record.status = 200;
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < fault.bytes) {
          sent += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      response.on('close', () => (sent = fault.bytes));
      pump();
      return;
    }
  }
}
