import type { ServerResponse } from 'node:http';

/*
 * Source-wide misbehaviour, as SEC and Yahoo really do it (docs/reliability.md, "The real
 * internet"): SEC's rate block (403 with its block page for every request for a while), Yahoo
 * refusing everything (403), throttling without Retry-After (429), asking for an hour's wait, or
 * answering 200 with no data for symbols that have prices (a soft block).
 */

export type Block =
  /** After `afterRequests` SEC requests, every SEC request for `forMs` gets SEC's block page (403). */
  { kind: 'sec-rate'; afterRequests: number; forMs: number } | { kind: 'yahoo-forbidden' } | { kind: 'yahoo-429' } | { kind: 'yahoo-retry-after'; seconds: number } | { kind: 'yahoo-soft' };

/**
 * SEC's block page as it is served (the head verbatim from py-edgar#24; the body's sentences from
 * public threads, see docs/reliability.md). The same page goes to an undeclared User-Agent.
 */
export const SEC_BLOCK_PAGE = `<!DOCTYPE html><html lang="en"><head><title>SEC.gov | Request Rate Threshold Exceeded</title></head><body>
<h1>Your Request Originates from an Undeclared Automated Tool</h1>
<p>To allow for equitable access to all users, SEC reserves the right to limit requests originating from undeclared automated tools.
Your request has been identified as part of a network of automated tools outside of the acceptable policy and will be managed until action is taken to declare your traffic.</p>
<p>Please declare your traffic by updating your user agent to include company specific information.</p>
<p>For best practices on efficiently downloading information from SEC.gov, including the latest EDGAR filings, visit sec.gov/developer.</p>
</body></html>`;

const YAHOO_FORBIDDEN = '<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1></body></html>';
const YAHOO_NO_DATA = '{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}';

/** A block's state over the requests: when SEC's began. */
export interface BlockState {
  block: Block | null;
  secRequests: number;
  secBlockedAt: number | null;
}

/**
 * Answers a request the block covers and returns the status sent, or null when it does not cover
 * it. `nowMs` is the stand-in's clock.
 */
export function answerBlocked(state: BlockState, source: 'sec' | 'yahoo', path: string, nowMs: number, response: ServerResponse): number | null {
  const { block } = state;
  if (block === null) return null;
  if (source === 'sec') {
    if (block.kind !== 'sec-rate') return null;
    state.secRequests += 1;
    if (state.secRequests <= block.afterRequests) return null;
    state.secBlockedAt ??= nowMs;
    if (nowMs - state.secBlockedAt >= block.forMs) return null;
    return send(response, 403, SEC_BLOCK_PAGE, 'text/html');
  }
  switch (block.kind) {
    case 'yahoo-forbidden':
      return send(response, 403, YAHOO_FORBIDDEN, 'text/html');
    case 'yahoo-429':
      return send(response, 429, 'Too Many Requests', 'text/plain');
    case 'yahoo-retry-after':
      return send(response, 429, 'Too Many Requests', 'text/plain', { 'retry-after': String(block.seconds) });
    case 'yahoo-soft':
      return path.startsWith('/v8/finance/spark') ? send(response, 200, emptySpark(path), 'application/json') : send(response, 404, YAHOO_NO_DATA, 'application/json');
    default:
      return null;
  }
}

/** Every symbol asked for, with the shape Yahoo gives one it has no data for. */
function emptySpark(path: string): string {
  const symbols = (new URL(path, 'http://stand-in').searchParams.get('symbols') ?? '').split(',').filter(Boolean);
  return JSON.stringify(Object.fromEntries(symbols.map((symbol) => [symbol, { symbol, timestamp: [], close: null }])));
}

function send(response: ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}): number {
  response.writeHead(status, { 'content-type': type, ...headers });
  response.end(body);
  return status;
}
