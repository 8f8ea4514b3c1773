import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/sources/http.js';
import { z } from 'zod';
import { jsonKind } from '../../src/sources/response-kind.js';
import { TICKER_FILE } from '../../src/sources/schemas/ticker-file.js';
import { isSecBlockPage } from '../../src/sources/sec.js';
import { SourceClient, type SourceClientOptions } from '../../src/sources/source-client.js';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { jsonBody, startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { sourceError as failure } from '../helpers/source-error.js';

let standIn: StandIn;

beforeEach(async () => {
  const data = syntheticDataset(syntheticCompanies(3));
  data.companyFacts.set(1, { data: Buffer.from(JSON.stringify({ big: 'x'.repeat(10_000) })), gzipped: false });
  standIn = await startStandIn({ data });
});

afterEach(async () => {
  await standIn.close();
});

/** A client on the stand-in whose fetch records when each request was handed to the network. */
function makeClient(overrides: Partial<SourceClientOptions> = {}) {
  const sends: number[] = [];
  const logs: string[] = [];
  const client = new SourceClient(
    {
      name: 'sec',
      limit: 100,
      intervalMs: 1000,
      timeoutMs: 2000,
      maxBytes: 1024 * 1024,
      headers: { 'User-Agent': 'tests tests@example.com' },
      retries: 2,
      retryBaseDelayMs: 5,
      ...overrides,
    },
    {
      fetch: (input, init) => {
        sends.push(performance.now());
        return fetch(input, init);
      },
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      log: (_level, message) => logs.push(message),
    },
  );
  return { client, sends, logs };
}

const tickerUrl = (): string => `${standIn.url}/files/company_tickers_exchange.json`;
/** Any JSON at all: for what the client does with bytes, whatever their schema. */
const ANY_JSON = jsonKind('test body', z.unknown());

describe('SourceClient', () => {
  it('never sends more than `limit` requests in any sliding interval, however many callers wait', async () => {
    const { client, sends } = makeClient({ limit: 5, intervalMs: 500 });
    await Promise.all(Array.from({ length: 23 }, () => client.getBody(TICKER_FILE, tickerUrl())));
    expect(sends).toHaveLength(23);
    for (let i = 5; i < sends.length; i += 1) {
      // The 6th send after any send comes a full interval later (1 ms for timer rounding).
      expect((sends[i] as number) - (sends[i - 5] as number)).toBeGreaterThanOrEqual(499);
    }
    // The ceiling is used: 23 requests at 5 per 500 ms need 4 intervals, not more.
    expect((sends.at(-1) as number) - (sends[0] as number)).toBeLessThan(2500);
    expect(client.stats.requests).toBe(23);
  });

  it('retries a 5xx and returns the data once the server recovers', async () => {
    standIn.addFault('company_tickers', { kind: 'status', status: 503 }, 2);
    const { client } = makeClient();
    const result = await client.getBody(TICKER_FILE, tickerUrl());
    expect(result.kind).toBe('data');
    expect(client.stats).toMatchObject({ requests: 3, retries: 2 });
  });

  it('gives up after max retries with the class and the number of attempts', async () => {
    standIn.addFault('company_tickers', { kind: 'status', status: 500 }, 10);
    const { client } = makeClient({ retries: 2 });
    const error = await failure(client.getBody(TICKER_FILE, tickerUrl()));
    expect(error).toMatchObject({ type: 'http_5xx', attempts: 3, transient: true });
    expect(error.message).toContain('HTTP 500');
  });

  it('pauses every caller of the source for the Retry-After of a 429', async () => {
    standIn.addFault('company_tickers', { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, 1);
    const { client, sends, logs } = makeClient();
    const first = client.getBody(TICKER_FILE, tickerUrl());
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Started after the 429 arrived: must wait out the pause too.
    const second = client.getBody(TICKER_FILE, tickerUrl());
    await Promise.all([first, second]);
    expect(sends).toHaveLength(3);
    expect((sends[1] as number) - (sends[0] as number)).toBeGreaterThanOrEqual(990);
    expect((sends[2] as number) - (sends[0] as number)).toBeGreaterThanOrEqual(990);
    expect(client.stats.rate_limited).toBe(1);
    expect(logs.join('\n')).toContain('pausing all requests for 1.0s');
  });

  it('times out a request whose answer never comes', async () => {
    standIn.addFault('company_tickers', { kind: 'hang' }, 10);
    const { client } = makeClient({ timeoutMs: 200, retries: 1 });
    const error = await failure(client.getBody(TICKER_FILE, tickerUrl()));
    expect(error).toMatchObject({ type: 'timeout', attempts: 2 });
  });

  it('caps the body size without reading the rest, and does not retry that', async () => {
    standIn.addFault('company_tickers', { kind: 'huge', bytes: 64 * 1024 * 1024 }, 10);
    const { client } = makeClient({ maxBytes: 1024 * 1024 });
    const started = performance.now();
    const error = await failure(client.getBody(TICKER_FILE, tickerUrl()));
    expect(error.type).toBe('body_too_large');
    expect(error.message).toContain('1 MiB cap');
    expect(client.stats.requests).toBe(1);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('rejects a declared Content-Length over the cap before reading', async () => {
    const { client } = makeClient({ maxBytes: 1000 });
    const error = await failure(client.getBody(ANY_JSON, `${standIn.url}/api/xbrl/companyfacts/CIK0000000001.json`));
    expect(error.type).toBe('body_too_large');
  });

  it.each([
    ['malformed', 'invalid_json', /malformed or truncated JSON/],
    ['html', 'invalid_json', /an HTML\/XML page/],
    ['reset', 'network', /network error/],
  ] as const)('classifies a %s body as %s and retries it', async (kind, type, message) => {
    standIn.addFault('company_tickers', { kind }, 10);
    const { client } = makeClient({ retries: 1 });
    const error = await failure(client.getBody(TICKER_FILE, tickerUrl()));
    expect(error.type).toBe(type);
    expect(error.message).toMatch(message);
    expect(client.stats.requests).toBe(2);
  });

  it("makes a 403 on SEC's first answer fatal, with the User-Agent hint, and never retries it", async () => {
    standIn.addFault('company_tickers', { kind: 'status', status: 403 }, 10);
    const { client } = makeClient({ block: { cooldownMs: 1000, isBlockPage: isSecBlockPage, refusedHint: 'declare a User-Agent', abortAfter: 3, label: 'SEC' } });
    const error = await failure(client.getBody(TICKER_FILE, tickerUrl()));
    expect(error).toMatchObject({ type: 'forbidden', fatal: true });
    expect(error.message).toContain('declare a User-Agent');
    expect(client.stats.requests).toBe(1);
    const plain = makeClient();
    expect(await failure(plain.client.getBody(TICKER_FILE, tickerUrl()))).toMatchObject({ type: 'forbidden', fatal: false });
  });

  it('answers not_found for a 404 (a definite "no data"), without retrying', async () => {
    const { client } = makeClient();
    expect(await client.getBody(ANY_JSON, `${standIn.url}/api/xbrl/companyfacts/CIK0000000404.json`)).toEqual({ kind: 'not_found' });
    expect(client.stats).toMatchObject({ requests: 1, retries: 0 });
  });

  it('follows redirects and decodes gzip bodies', async () => {
    standIn.addFault('/moved', { kind: 'status', status: 301, headers: { location: '/files/company_tickers_exchange.json' } }, 1);
    const { client } = makeClient();
    const result = await client.getBody(TICKER_FILE, `${standIn.url}/moved`);
    expect(result.kind === 'data' && result.body.map((row) => row.ticker)).toEqual(['TAAAA', 'TAAAB', 'TAAAC']);
    // Bodies over 4 KiB come gzipped from the stand-in when asked, as from SEC.
    const big = await client.getBody(ANY_JSON, `${standIn.url}/api/xbrl/companyfacts/CIK0000000001.json`);
    expect(big.kind === 'data' && (big.body as { big: string }).big).toHaveLength(10_000);
  });

  it('classifies a refused connection as a network error', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address() as { port: number };
        server.close(() => resolve(address.port));
      });
    });
    const { client } = makeClient({ retries: 0 });
    const error = await failure(client.getBody(ANY_JSON, `http://127.0.0.1:${port}/x.json`));
    expect(error.type).toBe('network');
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['2', 2000],
    ['0', 0],
    ['Wed, 25 Nov 2026 02:00:30 GMT', 30_000],
    ['Wed, 25 Nov 2026 01:59:00 GMT', 0],
    ['soon', undefined],
    [null, undefined],
  ])('reads %j as %j ms', (value, expected) => {
    expect(parseRetryAfter(value, Date.parse('2026-11-25T02:00:00Z'))).toBe(expected);
  });
});

describe('jsonBody', () => {
  it('serialises to bytes', () => {
    expect(jsonBody({ a: 1 }).data.toString()).toBe('{"a":1}');
  });
});
