import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import { fetchCompanyData } from '../../src/runner/company-data.js';
import { SecSource } from '../../src/sources/sec.js';
import type { SourceClient, SourceDeps } from '../../src/sources/source-client.js';
import { YahooSource } from '../../src/sources/yahoo.js';
import { loadSampleDataset } from '../../dev/stand-in/datasets.js';
import { jsonBody, startStandIn, type StandIn, type StandInData } from '../../dev/stand-in/server.js';
import { FIXTURES } from '../helpers/cli.js';
import { sourceError } from '../helpers/source-error.js';

/*
 * Each response kind through the source layer, against the stand-in serving the real recorded
 * bodies: the real body arrives typed, and the same body with one field broken fails as
 * `malformed`, naming that field, after exactly one request (a body that breaks its schema is not
 * transient). The schemas' cases one by one are in test/extract/*.test.ts.
 */

const APPLE = 320_193;
/** Where each broken copy is served: CIKs and symbols no real company has. */
const BROKEN_CIK = 9_990_001;
/** Apple's real submissions with the broken companyfacts. */
const BROKEN_FACTS_ONLY_CIK = 9_990_002;
const BROKEN_SYMBOL = 'BRKN';
const INDEX_DAY = '2020/QTR1/master.20200103.idx';
const BROKEN_INDEX_DAY = '2020/QTR1/master.20200106.idx';
const PAGE = 'CIK0000320193-submissions-001.json';
const BROKEN_PAGE = 'CIK0009990001-submissions-001.json';

let standIn: StandIn;
let data: StandInData;
let sec: SecSource;
let yahoo: YahooSource;
let brokenTickerFile: ReturnType<typeof jsonBody>;

const readJson = (file: string): Record<string, unknown> => {
  const bytes = readFileSync(path.join(FIXTURES, file));
  return JSON.parse((file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')) as Record<string, unknown>;
};

/** Follows `keys` into a parsed body, for breaking one field of it. */
function at(body: unknown, ...keys: (string | number)[]): Record<string | number, unknown> {
  return keys.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], body) as Record<string | number, unknown>;
}

beforeAll(async () => {
  data = loadSampleDataset(FIXTURES);

  const facts = readJson('sec/companyfacts_CIK0000320193.json.gz');
  at(facts, 'facts', 'us-gaap', 'EarningsPerShareDiluted', 'units', 'USD/shares', 3).val = '1.42';
  data.companyFacts.set(BROKEN_CIK, jsonBody(facts));
  data.companyFacts.set(BROKEN_FACTS_ONLY_CIK, jsonBody(facts));
  data.submissions.set(BROKEN_FACTS_ONLY_CIK, data.submissions.get(APPLE) as NonNullable<ReturnType<typeof data.submissions.get>>);

  const submissions = readJson('sec/submissions_CIK0000320193.json.gz');
  const recent = structuredClone(at(submissions, 'filings', 'recent'));
  at(submissions, 'filings', 'recent', 'form')[7] = 10;
  data.submissions.set(BROKEN_CIK, jsonBody(submissions));

  // An older page has the shape of `filings.recent`: Apple's recent columns stand in for one.
  data.submissionPages = new Map([[PAGE, jsonBody(recent)]]);
  const brokenPage = structuredClone(recent);
  at(brokenPage, 'accessionNumber')[0] = null;
  data.submissionPages.set(BROKEN_PAGE, jsonBody(brokenPage));

  const tickers = JSON.parse((data.tickerFile as { data: Buffer }).data.toString('utf8')) as { data: unknown[][] };
  const brokenTickers = structuredClone(tickers);
  (brokenTickers.data[1] as unknown[])[2] = null;
  data.tickerFile = jsonBody(tickers);

  const index = readFileSync(path.join(FIXTURES, 'sec/daily-index/master.20200103.idx'));
  data.dailyIndexes = new Map([
    [INDEX_DAY, { data: index, gzipped: false }],
    [BROKEN_INDEX_DAY, { data: Buffer.from(index.toString('latin1').replace('1000232|KENTUCKY', 'x1000232|KENTUCKY'), 'latin1'), gzipped: false }],
  ]);

  const chart = readJson('yahoo/v8_chart_NVDA_2021-02-01_to_2022-01-31_events_split__node-yahoo-finance2.json');
  at(chart, 'chart', 'result', 0, 'meta').regularMarketPrice = '134.43';
  data.charts.set(BROKEN_SYMBOL, jsonBody(chart));

  // Spark bodies are built from histories: a close that is text makes the broken one.
  const aapl = data.sparks?.get('AAPL');
  if (aapl === undefined) throw new Error('the sample has no AAPL spark history');
  data.sparks?.set(BROKEN_SYMBOL, { timestamp: aapl.timestamp, close: aapl.close.map((close, i) => (i === aapl.close.length - 2 ? (String(close) as unknown as number) : close)) });

  standIn = await startStandIn({ data });
  const deps: SourceDeps = {
    fetch: (input, init) => fetch(input, init),
    now: () => new Date('2026-11-25T07:00:00Z'),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: () => undefined,
  };
  const common = { timeoutMs: 5000, maxBytes: 64 * 1024 * 1024, retries: 2, retryBaseDelayMs: 5 };
  sec = new SecSource({ wwwUrl: standIn.url, dataUrl: standIn.url, userAgent: 'tests tests@example.com', requestsPerSecond: 1000, ...common }, deps);
  yahoo = new YahooSource({ baseUrl: standIn.url, delaySeconds: 0.001, ...common }, deps);
  // Swapped in for its own test: the stand-in serves one ticker file.
  brokenTickerFile = jsonBody(brokenTickers);
});

afterAll(async () => {
  await standIn.close();
});

/** The malformed failure of `request`, asserting it took exactly one request of `client`. */
async function malformedAfterOneRequest(client: SourceClient, request: () => Promise<unknown>): Promise<string> {
  const before = client.stats.requests;
  const error = await sourceError(request());
  expect(error).toMatchObject({ type: 'malformed', transient: false, attempts: 1 });
  expect(client.stats.requests - before).toBe(1);
  return error.message;
}

describe('each response kind through the source layer: the real body passes, one broken field fails as malformed', () => {
  it('ticker file (company_tickers_exchange.json)', async () => {
    const real = await sec.fetchTickerFile();
    expect(real.kind === 'data' && real.body.map((row) => row.ticker)).toContain('AAPL');
    const served = data.tickerFile;
    data.tickerFile = brokenTickerFile;
    try {
      expect(await malformedAfterOneRequest(sec.client, () => sec.fetchTickerFile())).toBe('company_tickers_exchange.json: data.1.2: ticker: expected string, received null');
    } finally {
      data.tickerFile = served;
    }
  });

  it('companyfacts: the structure on arrival, a fact when extraction reads its concept', async () => {
    const real = await sec.fetchCompanyFacts(APPLE);
    if (real.kind !== 'data') throw new Error(`expected data, got ${real.kind}`);
    expect(extractCompanyFacts(real.body).earnings.length).toBeGreaterThan(60);
    const broken = await sec.fetchCompanyFacts(BROKEN_CIK);
    if (broken.kind !== 'data') throw new Error(`expected data, got ${broken.kind}`);
    expect(() => extractCompanyFacts(broken.body)).toThrow('companyfacts: facts.us-gaap.EarningsPerShareDiluted.units.USD/shares.3.val: expected number, received string');
  });

  it('companyfacts per company: the body is parsed once, and only the concepts extraction reads (JSON.parse never sees the whole body)', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const real = await sec.fetchCompanyFacts(APPLE);
      if (real.kind !== 'data') throw new Error(`expected data, got ${real.kind}`);
      const parsed = parse.mock.calls.map(([text]) => text.length);
      const served = data.companyFacts.get(APPLE) as { data: Buffer; gzipped: boolean };
      const body = (served.gzipped ? gunzipSync(served.data) : served.data).length;
      expect(Math.max(...parsed)).toBeLessThan(body / 10);
      expect(parsed.reduce((sum, length) => sum + length, 0)).toBeLessThan(body / 4);
      expect(extractCompanyFacts(real.body).earnings.length).toBeGreaterThan(60);
    } finally {
      parse.mockRestore();
    }
  });

  it('companyfacts through the per-company path: the company fails as malformed, named, after one request each', async () => {
    const options = { forceRefresh: true, refetchThresholdMs: 30 * 86_400_000, now: () => new Date('2026-11-25T07:00:00Z'), sections: null, changed: null, validators: new Map() };
    const before = sec.client.stats.requests;
    const error = await sourceError(fetchCompanyData(sec, BROKEN_CIK, undefined, options));
    expect(error).toMatchObject({ type: 'malformed', transient: false, message: 'submissions: filings.recent.form.7: expected string, received number' });
    // Submissions broke first: companyfacts was never asked for.
    expect(sec.client.stats.requests - before).toBe(1);
    const factsError = await sourceError(fetchCompanyData(sec, BROKEN_FACTS_ONLY_CIK, undefined, options));
    expect(factsError).toMatchObject({ type: 'malformed', attempts: 1, message: 'companyfacts: facts.us-gaap.EarningsPerShareDiluted.units.USD/shares.3.val: expected number, received string' });
    // Submissions, its older page (a company new to the database), companyfacts: once each.
    expect(sec.client.stats.requests - before).toBe(4);
  });

  it('submissions', async () => {
    const real = await sec.fetchSubmissions(APPLE);
    expect(real.kind === 'data' && real.body.filings.recent.form).toHaveLength(1005);
    expect(await malformedAfterOneRequest(sec.client, () => sec.fetchSubmissions(BROKEN_CIK))).toBe('submissions: filings.recent.form.7: expected string, received number');
  });

  it('submissions, an older page', async () => {
    const real = await sec.fetchSubmissionsPage(PAGE);
    expect(real.kind === 'data' && real.body.accessionNumber).toHaveLength(1005);
    expect(await malformedAfterOneRequest(sec.client, () => sec.fetchSubmissionsPage(BROKEN_PAGE))).toBe('submissions page: accessionNumber.0: expected string, received null');
  });

  it('daily index (text: its parsed lines), whose broken line is damage on the way: retried, then invalid_json', async () => {
    const real = await sec.fetchDailyIndex(INDEX_DAY);
    expect(real.kind === 'data' && real.body.length).toBeGreaterThan(7000);
    const before = sec.client.stats.requests;
    const error = await sourceError(sec.fetchDailyIndex(BROKEN_INDEX_DAY));
    expect(error).toMatchObject({ type: 'invalid_json', transient: true, attempts: 3, message: 'daily index: line 12.cik: expected a CIK (digits)' });
    // The first request and its two retries.
    expect(sec.client.stats.requests - before).toBe(3);
  });

  it('spark', async () => {
    const real = await yahoo.fetchSpark(['AAPL', 'GOOG'], '1y');
    expect(real.kind === 'data' && Object.keys(real.body)).toEqual(['AAPL', 'GOOG']);
    expect(await malformedAfterOneRequest(yahoo.client, () => yahoo.fetchSpark(['AAPL', BROKEN_SYMBOL], '1y'))).toBe(`spark: ${BROKEN_SYMBOL}.close.250: expected number, received string`);
  });

  it('chart', async () => {
    const real = await yahoo.fetchChart('NVDA');
    expect(real.kind === 'data' && real.body.chart.result?.[0]?.meta.regularMarketPrice).toBe(134.43);
    expect(await malformedAfterOneRequest(yahoo.client, () => yahoo.fetchChart(BROKEN_SYMBOL))).toBe('chart: chart.result.0.meta.regularMarketPrice: expected number, received string');
  });
});
