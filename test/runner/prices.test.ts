import { describe, expect, it } from 'vitest';
import { SourceError } from '../../src/errors.js';
import type { QuoteRow } from '../../src/extract/types.js';
import { PriceBook } from '../../src/runner/prices/price-book.js';
import type { PriceLookup, PriceProviderFactory } from '../../src/runner/prices/provider.js';
import { sparkRange } from '../../src/runner/prices/spark.js';
import { YahooSource } from '../../src/sources/yahoo.js';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn } from '../../dev/stand-in/server.js';

describe('how much price history a symbol is asked for (spark)', () => {
  const now = new Date('2026-11-25T07:00:00Z');

  it('a year for a symbol without stored closes or with closes older than 25 days', () => {
    expect(sparkRange(undefined, now)).toBe('1y');
    expect(sparkRange('2026-09-01', now)).toBe('1y');
  });

  it('the last five days when the newest close is at most 6 days old (a weekend, a holiday, a missed night)', () => {
    expect(sparkRange('2026-11-24', now)).toBe('5d');
    expect(sparkRange('2026-11-20', now)).toBe('5d');
    expect(sparkRange('2026-11-20', new Date('2026-11-27T00:00:00Z'))).toBe('1mo');
  });

  it('the last month after a missed week or two', () => {
    expect(sparkRange('2026-11-10', now)).toBe('1mo');
    expect(sparkRange('2026-10-31', new Date('2026-11-25T00:00:00Z'))).toBe('1mo');
    expect(sparkRange('2026-10-30', new Date('2026-11-25T00:00:00Z'))).toBe('1y');
  });
});

/** A YahooSource that is never asked: the providers below are fakes. */
const yahoo = new YahooSource(
  { baseUrl: 'http://127.0.0.1:9', delaySeconds: 0.01, timeoutMs: 100, maxBytes: 1024, retries: 0, retryBaseDelayMs: 1, symbolsPerRequest: 20 },
  { fetch: () => Promise.reject(new Error('no request expected')), now: () => new Date(0), sleep: async () => undefined, log: () => undefined },
);

const quote = (price: number, splits: QuoteRow['splits'] = []): QuoteRow => ({
  price,
  currency: 'USD',
  fifty_two_week_high: null,
  fifty_two_week_low: null,
  price_time: null,
  long_name: null,
  exchange_name: null,
  splits,
});

/** A fake provider answering from a table, recording what it was asked. */
function fake(name: string, carriesSplits: boolean, answers: Record<string, PriceLookup>, asked: string[]): PriceProviderFactory {
  return () => ({
    name,
    carriesSplits,
    quote: async (symbol) => {
      asked.push(`${name}:${symbol}`);
      return answers[symbol] ?? { kind: 'missing', reason: `${name}: none` };
    },
  });
}

describe('the price book asks the registered providers in order', () => {
  const split = { date: '2020-08-31', ratio: 4, source: 'yahoo' } as QuoteRow['splits'][number];
  const asked: string[] = [];
  const providers = [
    fake(
      'batched',
      false,
      { A: { kind: 'data', quote: quote(10), closes: [] }, L: { kind: 'failed', error: new SourceError('rate_limited', '429') }, F: { kind: 'failed', error: new SourceError('http_5xx', '503') } },
      asked,
    ),
    fake('single', true, { A: { kind: 'data', quote: quote(11, [split]), closes: [] }, B: { kind: 'data', quote: quote(20), closes: [] }, F: { kind: 'data', quote: quote(30), closes: [] } }, asked),
  ];
  const book = new PriceBook(yahoo, { symbolsPerRequest: 20, now: () => new Date(0), latestCloseDates: new Map() }, providers);

  it('takes the first answer with data, and asks the next only for what the first lacks or failed on', async () => {
    asked.length = 0;
    expect(await book.get('A')).toMatchObject({ kind: 'data', quote: { price: 10, splits: [] } });
    expect(await book.get('B')).toMatchObject({ kind: 'data', quote: { price: 20 } });
    expect(await book.get('F')).toMatchObject({ kind: 'data', quote: { price: 30 } });
    expect(await book.get('NONE')).toEqual({ kind: 'no_data', reason: 'single: none' });
    expect(asked).toEqual(['batched:A', 'batched:B', 'single:B', 'batched:F', 'single:F', 'batched:NONE', 'single:NONE']);
  });

  it('does not fan a rate-limited answer out to the next provider', async () => {
    asked.length = 0;
    expect(await book.get('L')).toMatchObject({ kind: 'error', error: { type: 'rate_limited' } });
    expect(asked).toEqual(['batched:L']);
  });

  it('keeps the first price and adds the split events of a provider that carries them, when asked for splits', async () => {
    asked.length = 0;
    expect(await book.get('A', true)).toMatchObject({ kind: 'data', quote: { price: 10, splits: [split] } });
    expect(await book.splitEvents('A')).toEqual([split]);
    expect(asked).toEqual(['batched:A', 'single:A', 'single:A']);
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
      // The chart endpoint's quotes carry no daily closes; spark's do.
      expect(answers.map((answer) => (answer.kind === 'data' ? (answer.closes.length === 0 ? 'chart' : 'spark') : answer.kind))).toEqual(['chart', 'chart', 'chart']);
      const paths = standIn.requests.map((request) => request.path.split('?')[0]);
      expect(paths.filter((path) => path === '/v8/finance/spark')).toHaveLength(1);
      expect(paths.filter((path) => path?.startsWith('/v8/finance/chart/'))).toHaveLength(3);
      prices.close();
    } finally {
      await standIn.close();
    }
  });
});
