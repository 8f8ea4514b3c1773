import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { extractChartQuote, type ChartExtract } from '../../src/extract/chart.js';
import type { QuoteRow } from '../../src/extract/types.js';

/** A real Yahoo v8 chart body from test/fixtures/yahoo (recorded in 2025, unchanged). */
function loadChart(file: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/yahoo/${file}`, import.meta.url), 'utf8')) as unknown;
}

function quoteOf(extract: ChartExtract): QuoteRow {
  if (extract.kind !== 'quote') throw new Error(`expected a quote, got no_data: ${extract.reason}`);
  return extract.quote;
}

/** A chart body around a hand-made meta, shaped like Yahoo's. */
function chartWithMeta(meta: unknown): unknown {
  return { chart: { result: [{ meta, timestamp: [1739998801], indicators: { quote: [{}] } }], error: null } };
}

/** The meta of the real AAPL body, to vary one field at a time. */
const aaplMeta = (loadChart('chart_AAPL_1d_2020-01-01_to_2020-01-03.json') as { chart: { result: [{ meta: Record<string, unknown> }] } })
  .chart.result[0].meta;

describe('extractChartQuote on real Yahoo chart bodies', () => {
  it.each([
    [
      'chart_AAPL_1d_2020-01-01_to_2020-01-03.json',
      {
        price: 244.87,
        fifty_two_week_high: 260.1,
        fifty_two_week_low: 164.08,
        currency: 'USD',
        price_time: '2025-02-19T21:00:01.000Z',
        long_name: 'Apple Inc.',
        exchange_name: 'NasdaqGS',
        splits: [],
      },
    ],
    [
      'chart_AAPL_1d_2020-08-31_to_2020-11-07.json',
      {
        price: 244.87,
        fifty_two_week_high: 260.1,
        fifty_two_week_low: 164.08,
        currency: 'USD',
        price_time: '2025-02-19T21:00:01.000Z',
        long_name: 'Apple Inc.',
        exchange_name: 'NasdaqGS',
        // Apple's 4:1 split of 2020-08-31 falls in the recorded range.
        splits: [{ date: '2020-08-31', ratio: 4, source: 'yahoo' }],
      },
    ],
    [
      'v8_chart_NVDA_2021-02-01_to_2022-01-31_events_split__node-yahoo-finance2.json',
      {
        price: 134.43,
        fifty_two_week_high: 153.13,
        fifty_two_week_low: 75.606,
        currency: 'USD',
        price_time: '2025-02-21T21:00:01.000Z',
        long_name: 'NVIDIA Corporation',
        exchange_name: 'NasdaqGS',
        // The recorded body was requested with events=split: NVIDIA's 4:1 split of 2021-07-20.
        splits: [{ date: '2021-07-20', ratio: 4, source: 'yahoo' }],
      },
    ],
  ])('%s: the quote comes from meta (current price, 52-week range, ISO regularMarketTime)', (file, expected) => {
    expect(extractChartQuote(loadChart(file))).toEqual({ kind: 'quote', quote: expected });
  });

  it('takes the price from meta.regularMarketPrice, not from the historical range the body was asked for', () => {
    // The 2020 request's chartPreviousClose (73.412, pre-split) and closes are history; meta is today's quote.
    const body = loadChart('chart_AAPL_1d_2020-01-01_to_2020-01-03.json') as {
      chart: { result: [{ meta: { chartPreviousClose: number }; indicators: { quote: [{ close: number[] }] } }] };
    };
    const quote = quoteOf(extractChartQuote(body));
    expect(body.chart.result[0].meta.chartPreviousClose).toBe(73.412);
    expect(body.chart.result[0].indicators.quote[0].close).not.toContain(quote.price);
    expect(quote.price).toBe(244.87);
  });
});

describe('extractChartQuote when Yahoo has nothing', () => {
  it('reads the 404 body as no_data, naming the code and description', () => {
    const body = JSON.parse(
      '{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}',
    ) as unknown;
    const extract = extractChartQuote(body);
    expect(extract).toEqual({ kind: 'no_data', reason: 'Not Found: No data found, symbol may be delisted' });
  });

  it('reports chart.error even when a result is present', () => {
    const extract = extractChartQuote({ chart: { result: [{ meta: aaplMeta }], error: { code: 'Bad Request', description: 'Invalid input' } } });
    expect(extract).toEqual({ kind: 'no_data', reason: 'Bad Request: Invalid input' });
  });

  it('reports an error code without a description', () => {
    expect(extractChartQuote({ chart: { result: null, error: { code: 'Not Found' } } })).toEqual({ kind: 'no_data', reason: 'Not Found:' });
  });

  it.each([
    ['an empty result array', { chart: { result: [], error: null } }],
    ['a null result', { chart: { result: null, error: null } }],
    ['a null first result', { chart: { result: [null], error: null } }],
    ['no result key', { chart: { error: null } }],
  ])('gives no_data for %s', (_label, body) => {
    expect(extractChartQuote(body).kind).toBe('no_data');
  });
});

describe('extractChartQuote on incomplete meta', () => {
  it('gives nulls, not a failure, for a meta without price, range, currency, time or names', () => {
    expect(extractChartQuote(chartWithMeta({ symbol: 'NEWCO', instrumentType: 'EQUITY' }))).toEqual({
      kind: 'quote',
      quote: {
        price: null,
        fifty_two_week_high: null,
        fifty_two_week_low: null,
        currency: null,
        price_time: null,
        long_name: null,
        exchange_name: null,
        splits: [],
      },
    });
  });

  it('keeps the fields that are there when only the 52-week range is missing', () => {
    const { fiftyTwoWeekHigh: _high, fiftyTwoWeekLow: _low, ...meta } = aaplMeta;
    const quote = quoteOf(extractChartQuote(chartWithMeta(meta)));
    expect(quote).toMatchObject({ price: 244.87, fifty_two_week_high: null, fifty_two_week_low: null, currency: 'USD' });
  });

  it('falls back to shortName when longName is missing', () => {
    const { longName: _long, ...meta } = aaplMeta;
    expect(quoteOf(extractChartQuote(chartWithMeta({ ...meta, shortName: 'Apple' }))).long_name).toBe('Apple');
  });

  it.each([
    ['zero', 0],
    ['negative', -1.5],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
    ['string', '244.87'],
    ['null', null],
  ])('turns a %s regularMarketPrice into a null price', (_label, price) => {
    const quote = quoteOf(extractChartQuote(chartWithMeta({ ...aaplMeta, regularMarketPrice: price })));
    expect(quote.price).toBeNull();
    expect(quote.fifty_two_week_high).toBe(260.1);
  });

  it.each([
    ['zero', 0],
    ['negative', -3],
  ])('turns a %s 52-week high and low into nulls', (_label, value) => {
    const quote = quoteOf(extractChartQuote(chartWithMeta({ ...aaplMeta, fiftyTwoWeekHigh: value, fiftyTwoWeekLow: value })));
    expect([quote.fifty_two_week_high, quote.fifty_two_week_low]).toEqual([null, null]);
    expect(quote.price).toBe(244.87);
  });

  it.each([
    ['string', '1739998801'],
    ['NaN', Number.NaN],
    ['null', null],
  ])('gives a null price_time for a %s regularMarketTime', (_label, time) => {
    expect(quoteOf(extractChartQuote(chartWithMeta({ ...aaplMeta, regularMarketTime: time }))).price_time).toBeNull();
  });

  it('ignores non-string currency and names', () => {
    const quote = quoteOf(extractChartQuote(chartWithMeta({ ...aaplMeta, currency: 840, longName: null, shortName: 5, fullExchangeName: [] })));
    expect(quote).toMatchObject({ currency: null, long_name: null, exchange_name: null, price: 244.87 });
  });
});

describe('extractChartQuote on garbage', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an HTML string', '<html><body>Will be right back</body></html>'],
    ['an array', [{ meta: { regularMarketPrice: 1 } }]],
    ['{}', {}],
    ['chart: null', { chart: null }],
    ['chart: a string', { chart: 'x' }],
    ['result: a string', { chart: { result: 'AAPL' } }],
    ['result: an object instead of an array', { chart: { result: { meta: { regularMarketPrice: 1 } } } }],
    ['a result that is a string', { chart: { result: ['AAPL'] } }],
    ['a result that is a number', { chart: { result: [42] } }],
    ['a result without meta', { chart: { result: [{ timestamp: [1], indicators: {} }] } }],
    ['a result whose meta is null', { chart: { result: [{ meta: null }] } }],
    ['a result whose meta is a string', { chart: { result: [{ meta: 'AAPL' }] } }],
  ])('gives no_data, without throwing, for %s', (_label, body) => {
    const extract = extractChartQuote(body);
    expect(extract.kind).toBe('no_data');
    if (extract.kind === 'no_data') expect(extract.reason).not.toBe('');
  });
});

describe('split events', () => {
  it.each([
    [{ '1': { date: 1598880600, numerator: 4, denominator: 1, splitRatio: '4:1' } }, [{ date: '2020-08-31', ratio: 4, source: 'yahoo' }]],
    [{ '1': { date: 1598880600, numerator: 1, denominator: 10, splitRatio: '1:10' } }, [{ date: '2020-08-31', ratio: 0.1, source: 'yahoo' }]],
    [{ b: { date: 1598880600, numerator: 4, denominator: 1 }, a: { date: 1403587800, numerator: 7, denominator: 1 } }, [{ date: '2014-06-24', ratio: 7, source: 'yahoo' }, { date: '2020-08-31', ratio: 4, source: 'yahoo' }]],
    [{ bad: { date: 'x', numerator: 4, denominator: 1 }, zero: { date: 1598880600, numerator: 0, denominator: 1 }, same: { date: 1598880600, numerator: 2, denominator: 2 } }, []],
  ])('reads events.splits %j as ratios of new shares per old, oldest first', (splits, expected) => {
    const body = { chart: { result: [{ meta: { regularMarketPrice: 10 }, events: { splits } }], error: null } };
    expect(quoteOf(extractChartQuote(body)).splits).toEqual(expected);
  });
});
