import { afterEach, describe, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type Fault, type StandIn } from '../../dev/stand-in/server.js';
import { DEFAULT_YAHOO_USER_AGENT } from '../../src/config/schema.js';
import { SourceError } from '../../src/errors.js';
import { YahooSource, type YahooSourceOptions } from '../../src/sources/yahoo.js';
import { closedPortUrl } from '../faults/fault-server.js';

/*
 * Yahoo's hosts (sources.yahoo.base_url as a list) and its User-Agent, against two stand-ins on
 * 127.0.0.1: a host that refuses hands the request and the later ones to the next; answers about
 * the request itself (404) never move anything.
 */

const companies = syntheticCompanies(3);
const symbol = (companies[0] as { symbol: string }).symbol;
const ALWAYS = 1000;
const standIns: StandIn[] = [];

afterEach(async () => {
  await Promise.all(standIns.splice(0).map((standIn) => standIn.close()));
});

async function host(fault?: Fault): Promise<StandIn> {
  const standIn = await startStandIn({ data: syntheticDataset(companies) });
  if (fault !== undefined) standIn.addFault(/^\/v8\//, fault, ALWAYS);
  standIns.push(standIn);
  return standIn;
}

function makeYahoo(baseUrl: string | string[], overrides: Partial<YahooSourceOptions> = {}): { yahoo: YahooSource; warnings: string[] } {
  const warnings: string[] = [];
  const yahoo = new YahooSource(
    { baseUrl, delaySeconds: 0.001, timeoutMs: 2000, maxBytes: 1024 * 1024, retries: 1, retryBaseDelayMs: 5, ...overrides },
    {
      fetch: (input, init) => fetch(input, init),
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      log: (level, message) => (level === 'warn' ? warnings.push(message) : undefined),
    },
  );
  return { yahoo, warnings };
}

const yahooRequests = (standIn: StandIn): number => standIn.requests.filter((request) => request.source === 'yahoo').length;

describe('Yahoo hosts tried in order', () => {
  it.for([
    ['403 Forbidden', { kind: 'status', status: 403 }, 1],
    ['429 with no retry left', { kind: 'status', status: 429, headers: { 'retry-after': '0' } }, 2],
    ['503 after the retries', { kind: 'status', status: 503 }, 2],
    ['no answer in time', { kind: 'hang' }, 2],
  ] as const)('a host answering %s hands this request and the following ones to the next', async ([, fault, attempts]) => {
    const [first, second] = [await host(fault), await host()];
    const { yahoo, warnings } = makeYahoo([first.url, `${second.url}/`], { timeoutMs: 300 });
    expect((await yahoo.fetchChart(symbol)).kind).toBe('data');
    expect((await yahoo.fetchSpark([symbol], '5d')).kind).toBe('data');
    expect(yahooRequests(first)).toBe(attempts);
    expect(yahooRequests(second)).toBe(2);
    expect(yahoo.served).toEqual({ [first.url]: 0, [second.url]: 2 });
    const moves = warnings.filter((warning) => warning.endsWith('from now on'));
    expect(moves).toEqual([expect.stringMatching(new RegExp(`^yahoo: ${first.url} refused \\(.+\\); asking ${second.url} from now on$`))]);
  });

  it('a host that refuses connections: the next after the retries', async () => {
    const [gone, second] = [await closedPortUrl(), await host()];
    const { yahoo } = makeYahoo([gone, second.url]);
    expect((await yahoo.fetchChart(symbol)).kind).toBe('data');
    expect(yahoo.served).toEqual({ [gone]: 0, [second.url]: 1 });
  });

  it('a 404 (no such symbol) or a 400 is an answer about the request: the next host is not asked', async () => {
    const [first, second] = [await host(), await host()];
    const { yahoo } = makeYahoo([first.url, second.url]);
    expect((await yahoo.fetchChart('NOSUCH')).kind).toBe('not_found');
    first.addFault('/spark', { kind: 'status', status: 400 });
    await expect(yahoo.fetchSpark([symbol], '5d')).rejects.toMatchObject({ type: 'http_4xx' });
    expect(yahooRequests(second)).toBe(0);
    expect(yahoo.served).toEqual({ [first.url]: 1, [second.url]: 0 });
  });

  it('every host refusing: the request fails as before, having asked each host once', async () => {
    const [first, second] = [await host({ kind: 'status', status: 403 }), await host({ kind: 'status', status: 403 })];
    const { yahoo } = makeYahoo([first.url, second.url]);
    const error = await yahoo.fetchChart(symbol).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ type: 'forbidden', message: `HTTP 403 Forbidden from ${new URL(second.url).host}` });
    expect([yahooRequests(first), yahooRequests(second)]).toEqual([1, 1]);
  });

  it('requests in flight together that meet the refusal move the others on once', async () => {
    const [first, second, third] = [await host({ kind: 'status', status: 403 }), await host(), await host()];
    const { yahoo, warnings } = makeYahoo([first.url, second.url, third.url]);
    const answers = await Promise.all(companies.map((company) => yahoo.fetchChart(company.symbol)));
    expect(answers.map((answer) => answer.kind)).toEqual(['data', 'data', 'data']);
    expect(yahooRequests(first)).toBe(3);
    // All three went on to the second host; none skipped it for the third.
    expect(yahoo.served).toEqual({ [first.url]: 0, [second.url]: 3, [third.url]: 0 });
    expect(warnings.filter((warning) => warning.endsWith('from now on'))).toHaveLength(1);
  });

  it('sends the configured User-Agent, and by default the one it always sent', async () => {
    const standIn = await host();
    await makeYahoo(standIn.url, { userAgent: 'Acme screener/2.1 (ops@example.com)' }).yahoo.fetchChart(symbol);
    await makeYahoo(standIn.url).yahoo.fetchChart(symbol);
    expect(standIn.requests.map((request) => request.userAgent)).toEqual(['Acme screener/2.1 (ops@example.com)', DEFAULT_YAHOO_USER_AGENT]);
    expect(DEFAULT_YAHOO_USER_AGENT).toBe('Mozilla/5.0 (compatible; batch-refresh)');
  });
});
