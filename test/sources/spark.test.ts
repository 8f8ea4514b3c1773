import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractSpark } from '../../src/extract/spark.js';
import { SourceError } from '../../src/errors.js';
import { SPARK, type SparkBody } from '../../src/sources/schemas/spark.js';
import { YahooSource, type YahooSourceOptions } from '../../src/sources/yahoo.js';
import { loadSampleDataset, syntheticChart, syntheticCompanies, syntheticDataset, syntheticSparkHistory } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { FIXTURES } from '../helpers/cli.js';

let standIn: StandIn;
const companies = syntheticCompanies(30);

beforeEach(async () => {
  const data = syntheticDataset(companies);
  // Symbols that need encoding in a URL, with a null close like Yahoo's on a halted day.
  data.sparks?.set('BRK-B', { timestamp: [1_764_018_000, 1_764_104_400], close: [null, 480.5] });
  data.sparks?.set('^GSPC', { timestamp: [1_764_018_000, 1_764_104_400], close: [6700.1, 6712.3] });
  standIn = await startStandIn({ data });
});

afterEach(async () => {
  await standIn.close();
});

function makeYahoo(overrides: Partial<YahooSourceOptions> = {}): YahooSource {
  return new YahooSource(
    { baseUrl: standIn.url, delaySeconds: 0.001, timeoutMs: 2000, maxBytes: 1024 * 1024, retries: 2, retryBaseDelayMs: 5, ...overrides },
    { fetch: (input, init) => fetch(input, init), now: () => new Date(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), log: () => undefined },
  );
}

async function sparkJson(yahoo: YahooSource, symbols: string[], range: '5d' | '1mo' | '1y'): Promise<SparkBody> {
  const result = await yahoo.fetchSpark(symbols, range);
  if (result.kind !== 'data') throw new Error(`expected data, got ${result.kind}`);
  return result.body;
}

const symbols = (count: number): string[] => companies.slice(0, count).map((company) => company.symbol);

describe('YahooSource.fetchSpark against the stand-in', () => {
  it('sends the symbols URL-encoded and comma-joined in one request, and gets each back under its own key', async () => {
    const yahoo = makeYahoo();
    const json = await sparkJson(yahoo, ['BRK-B', '^GSPC', 'A&B'], '5d');
    expect(standIn.requests.map((request) => request.path)).toEqual(['/v8/finance/spark?symbols=BRK-B,%5EGSPC,A%26B&range=5d&interval=1d']);
    expect(Object.keys(json)).toEqual(['BRK-B', '^GSPC', 'A&B']);
    const series = extractSpark(json);
    expect(series.get('^GSPC')?.closes.map((close) => close.close)).toEqual([6700.1, 6712.3]);
    // The null close of BRK-B's first day is skipped.
    expect(series.get('BRK-B')?.closes).toEqual([{ date: '2025-11-25', close: 480.5 }]);
  });

  it('answers a symbol it has no history for in the delisted shape, which extractSpark leaves out', async () => {
    const json = await sparkJson(makeYahoo(), ['PETM', symbols(1)[0] as string], '5d');
    expect(json.PETM).toEqual({ symbol: 'PETM', timestamp: [], close: null, chartPreviousClose: null, previousClose: null, dataGranularity: 300, start: null, end: null });
    expect([...extractSpark(json).keys()]).toEqual([symbols(1)[0]]);
  });

  it('serves the last 5, 22 and 252 points for 5d, 1mo and 1y, with the close before them as chartPreviousClose', async () => {
    const yahoo = makeYahoo();
    const history = syntheticSparkHistory(0);
    for (const [range, points] of [
      ['5d', 5],
      ['1mo', 22],
      ['1y', 252],
    ] as const) {
      const entry = (await sparkJson(yahoo, symbols(1), range))[symbols(1)[0] as string];
      expect(entry?.timestamp).toEqual(history.timestamp.slice(-points));
      expect(entry?.close).toEqual(history.close.slice(-points));
      expect(entry?.chartPreviousClose).toBe(history.close.at(-points - 1));
    }
  });

  it('takes 20 symbols in one request', async () => {
    const json = await sparkJson(makeYahoo(), symbols(20), '5d');
    expect(extractSpark(json).size).toBe(20);
    expect(standIn.requests).toHaveLength(1);
  });

  it('rejects more than symbolsPerRequest symbols, or none, with a RangeError before any request', async () => {
    await expect(makeYahoo().fetchSpark(symbols(21), '5d')).rejects.toThrow(RangeError);
    await expect(makeYahoo().fetchSpark([], '5d')).rejects.toThrow(RangeError);
    await expect(makeYahoo({ symbolsPerRequest: 5 }).fetchSpark(symbols(6), '5d')).rejects.toThrow(/1 to 5 symbols/);
    expect(standIn.requests).toHaveLength(0);
  });

  it('fails a 400 from Yahoo (a ceiling set above 20) without retrying it', async () => {
    const yahoo = makeYahoo({ symbolsPerRequest: 25 });
    const error = await yahoo.fetchSpark(symbols(21), '5d').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).details.status).toBe(400);
    expect(standIn.requests).toHaveLength(1);
  });

  it('retries a fault on the spark path like any other and then gets the data', async () => {
    standIn.addFault('/v8/finance/spark?symbols=', { kind: 'status', status: 503 }, 2);
    const yahoo = makeYahoo();
    const json = await sparkJson(yahoo, symbols(2), '5d');
    expect(extractSpark(json).size).toBe(2);
    expect(standIn.requests.map((request) => request.status)).toEqual([503, 503, 200]);
    expect(yahoo.client.stats.retries).toBe(2);
  });

  it('matches faults on the query too: only the request for the faulted symbol fails', async () => {
    standIn.addFault(/symbols=BRK-B,/, { kind: 'status', status: 404, body: '{}' });
    const yahoo = makeYahoo();
    expect((await yahoo.fetchSpark(['BRK-B', '^GSPC'], '5d')).kind).toBe('not_found');
    expect((await yahoo.fetchSpark(['^GSPC', 'BRK-B'], '5d')).kind).toBe('data');
  });
});

describe('the stand-in spark route, asked directly', () => {
  it("answers 21 symbols with HTTP 400 and Yahoo's JSON error body", async () => {
    const response = await fetch(`${standIn.url}/v8/finance/spark?symbols=${symbols(21).join(',')}&range=5d&interval=1d`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      spark: { result: null, error: { code: 'Bad Request', description: 'Number of symbols needs to be less than or equal to 20' } },
    });
  });

  it('answers a request without symbols or with an unknown range with HTTP 400', async () => {
    expect((await fetch(`${standIn.url}/v8/finance/spark?range=5d&interval=1d`)).status).toBe(400);
    expect((await fetch(`${standIn.url}/v8/finance/spark?symbols=TAAAA&range=max&interval=1d`)).status).toBe(400);
  });
});

describe('syntheticDataset sparks', () => {
  it("gives every company 260 weekday closes ending 2026-11-24 at its chart's price, within the chart's 52-week range", () => {
    const data = syntheticDataset(companies);
    for (const [seed, company] of companies.entries()) {
      const history = data.sparks?.get(company.symbol);
      if (history === undefined) throw new Error(`no sparks for ${company.symbol}`);
      const meta = (syntheticChart(company, seed) as { chart: { result: [{ meta: { regularMarketPrice: number; fiftyTwoWeekHigh: number; fiftyTwoWeekLow: number } }] } }).chart.result[0].meta;
      expect(history.timestamp).toHaveLength(260);
      expect(new Date((history.timestamp.at(-1) as number) * 1000).toISOString()).toBe('2026-11-24T21:00:00.000Z');
      expect(history.timestamp.every((at) => ![0, 6].includes(new Date(at * 1000).getUTCDay()))).toBe(true);
      expect(history.close.at(-1)).toBe(meta.regularMarketPrice);
      const closes = history.close as number[];
      expect(Math.max(...closes)).toBeLessThanOrEqual(meta.fiftyTwoWeekHigh);
      expect(Math.min(...closes)).toBeGreaterThanOrEqual(meta.fiftyTwoWeekLow);
    }
  });
});

describe('loadSampleDataset sparks', () => {
  it('serves the recorded spark year for the real symbols that have one, and the delisted shape for PETM', async () => {
    const sample = await startStandIn({ data: loadSampleDataset(FIXTURES) });
    try {
      const response = await fetch(`${sample.url}/v8/finance/spark?symbols=AAPL,GOOG,PETM&range=1y&interval=1d`);
      const series = extractSpark(SPARK.decode(Buffer.from(await response.arrayBuffer()), 'sample'));
      expect([...series.keys()]).toEqual(['AAPL', 'GOOG']);
      expect(series.get('AAPL')?.closes).toHaveLength(252);
      expect(series.get('AAPL')?.closes.at(-1)).toEqual({ date: '2022-05-27', close: 149.64 });
    } finally {
      await sample.close();
    }
  });
});
