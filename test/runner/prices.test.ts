import { describe, expect, it } from 'vitest';
import { PriceBook } from '../../src/runner/prices.js';
import { YahooSource } from '../../src/sources/yahoo.js';
import { syntheticCompanies, syntheticDataset } from '../../src/stand-in/datasets.js';
import { startStandIn } from '../../src/stand-in/server.js';

/** A PriceBook whose source is never asked: only the choice of history is checked here. */
function book(latestCloseDates: Record<string, string>, now: string): PriceBook {
  const yahoo = new YahooSource(
    { baseUrl: 'http://127.0.0.1:9', delaySeconds: 0.01, timeoutMs: 100, maxBytes: 1024, retries: 0, retryBaseDelayMs: 1, symbolsPerRequest: 20 },
    { fetch: () => Promise.reject(new Error('no request expected')), now: () => new Date(now), sleep: async () => undefined, log: () => undefined },
  );
  return new PriceBook(yahoo, { symbolsPerRequest: 20, now: () => new Date(now), latestCloseDates: new Map(Object.entries(latestCloseDates)) });
}

describe('how much price history a symbol is asked for', () => {
  const prices = book({ FRESH: '2026-11-24', WEEKEND: '2026-11-20', MISSED: '2026-11-10', OLD: '2026-09-01' }, '2026-11-25T07:00:00Z');

  it('a year for a symbol without stored closes or with closes older than 25 days', () => {
    expect(prices.rangeFor('NEW')).toBe('1y');
    expect(prices.rangeFor('OLD')).toBe('1y');
  });

  it('the last five days when the newest close is at most 6 days old (a weekend, a holiday, a missed night)', () => {
    expect(prices.rangeFor('FRESH')).toBe('5d');
    expect(prices.rangeFor('WEEKEND')).toBe('5d');
    expect(book({ FRI: '2026-11-20' }, '2026-11-27T00:00:00Z').rangeFor('FRI')).toBe('1mo');
  });

  it('the last month after a missed week or two', () => {
    expect(prices.rangeFor('MISSED')).toBe('1mo');
    expect(book({ X: '2026-10-31' }, '2026-11-25T00:00:00Z').rangeFor('X')).toBe('1mo');
    expect(book({ X: '2026-10-30' }, '2026-11-25T00:00:00Z').rangeFor('X')).toBe('1y');
  });
});

describe('a spark batch that breaks its schema', () => {
  it('is not retried: each of its symbols gets its price from the chart endpoint', async () => {
    const companies = syntheticCompanies(3);
    const data = syntheticDataset(companies);
    const [first, second, third] = companies.map((company) => company.symbol) as [string, string, string];
    const history = data.sparks?.get(second);
    if (history === undefined) throw new Error('no synthetic spark history');
    // One close as text: the whole batch's body is malformed.
    data.sparks?.set(second, { timestamp: history.timestamp, close: history.close.map((close, i) => (i === history.close.length - 2 ? (String(close) as unknown as number) : close)) });
    const standIn = await startStandIn({ data });
    try {
      const now = '2026-11-25T07:00:00Z';
      const yahoo = new YahooSource(
        { baseUrl: standIn.url, delaySeconds: 0.001, timeoutMs: 2000, maxBytes: 1024 * 1024, retries: 2, retryBaseDelayMs: 5 },
        { fetch: (input, init) => fetch(input, init), now: () => new Date(now), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), log: () => undefined },
      );
      const prices = new PriceBook(yahoo, { symbolsPerRequest: 20, now: () => new Date(now), latestCloseDates: new Map() });
      prices.prefetch([first, second, third]);
      const answers = await Promise.all([first, second, third].map((symbol) => prices.get(symbol)));
      expect(answers.map((answer) => (answer.kind === 'data' ? answer.via : answer.kind))).toEqual(['chart', 'chart', 'chart']);
      const paths = standIn.requests.map((request) => request.path.split('?')[0]);
      expect(paths.filter((path) => path === '/v8/finance/spark')).toHaveLength(1);
      expect(paths.filter((path) => path?.startsWith('/v8/finance/chart/'))).toHaveLength(3);
      prices.close();
    } finally {
      await standIn.close();
    }
  });
});
