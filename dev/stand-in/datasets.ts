import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { jsonBody, type Body, type SparkHistory, type StandInData } from './server.js';

/**
 * The bundled real sample data (test/fixtures, see its PROVENANCE.md): SEC's 2025 ticker file cut
 * down to the companies whose real companyfacts we have, Apple's and Tesla's submissions, and the
 * recorded Yahoo chart bodies for AAPL and NVDA, a recorded year of spark closes for AAPL and GOOG.
 * Other symbols get Yahoo's real 404 answer (chart) or its delisted shape (spark).
 */
export function loadSampleDataset(fixturesDir: string): StandInData {
  const secDir = path.join(fixturesDir, 'sec');
  const companyFacts = new Map<number, Body>();
  const submissions = new Map<number, Body>();
  for (const name of readdirSync(secDir)) {
    const match = /^(companyfacts|submissions)_CIK(\d{10})\.json(\.gz)?$/.exec(name);
    if (!match) continue;
    const body: Body = { data: readFileSync(path.join(secDir, name)), gzipped: match[3] !== undefined };
    (match[1] === 'companyfacts' ? companyFacts : submissions).set(Number(match[2]), body);
  }
  const tickers = JSON.parse(readFileSync(path.join(secDir, 'company_tickers_exchange_2025.json'), 'utf8')) as { fields: string[]; data: unknown[][] };
  const known = new Set([...companyFacts.keys(), ...submissions.keys()]);
  const tickerFile = jsonBody({ fields: tickers.fields, data: tickers.data.filter((row) => known.has(Number(row[0]))) });
  const charts = new Map<string, Body>();
  const yahooDir = path.join(fixturesDir, 'yahoo');
  const chartFiles: Record<string, string> = {
    AAPL: 'chart_AAPL_1d_2020-08-31_to_2020-11-07.json',
    NVDA: 'v8_chart_NVDA_2021-02-01_to_2022-01-31_events_split__node-yahoo-finance2.json',
  };
  for (const [symbol, file] of Object.entries(chartFiles)) {
    const full = path.join(yahooDir, file);
    if (existsSync(full)) charts.set(symbol, { data: readFileSync(full), gzipped: false });
  }
  return { tickerFile, companyFacts, submissions, charts, sparks: loadSparkHistories(path.join(yahooDir, SAMPLE_SPARK_FILE)) };
}

/** A real year of daily closes (to 2022-05-27) of AAPL, GOOG and five others, PETM delisted. */
const SAMPLE_SPARK_FILE = 'v8_spark__RotiMom_simpson-capstone__7symbols_1y_1d_with_PETM_empty.json';

/** Every symbol of a recorded v8 spark body that has closes; none when the file is missing. */
function loadSparkHistories(file: string): Map<string, SparkHistory> {
  const sparks = new Map<string, SparkHistory>();
  if (!existsSync(file)) return sparks;
  const body = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { timestamp?: number[]; close?: (number | null)[] | null }>;
  for (const [symbol, entry] of Object.entries(body)) {
    if (entry.timestamp?.length && Array.isArray(entry.close)) sparks.set(symbol, { timestamp: entry.timestamp, close: entry.close });
  }
  return sparks;
}

export interface SyntheticCompany {
  cik: number;
  symbol: string;
  name: string;
  exchange: string;
}

/** `count` made-up companies on NYSE/Nasdaq with CIKs from 9,000,001 (no real CIK is that high). */
export function syntheticCompanies(count: number): SyntheticCompany[] {
  return Array.from({ length: count }, (_unused, index) => ({
    cik: 9_000_001 + index,
    symbol: `T${toLetters(index)}`,
    name: `Test Company ${index + 1} Inc.`,
    exchange: index % 2 === 0 ? 'Nasdaq' : 'NYSE',
  }));
}

/** A stand-in data set of synthetic companies in the real formats (small bodies: a few years of facts). */
export function syntheticDataset(companies: SyntheticCompany[]): StandInData {
  const data: StandInData = { companyFacts: new Map(), submissions: new Map(), charts: new Map(), sparks: new Map() };
  data.tickerFile = jsonBody({
    fields: ['cik', 'name', 'ticker', 'exchange'],
    data: companies.map((company) => [company.cik, company.name, company.symbol, company.exchange]),
  });
  for (const [index, company] of companies.entries()) {
    data.companyFacts.set(company.cik, jsonBody(syntheticCompanyFacts(company, index)));
    data.submissions.set(company.cik, jsonBody(syntheticSubmissions(company, index)));
    data.charts.set(company.symbol, jsonBody(syntheticChart(company, index)));
    data.sparks?.set(company.symbol, syntheticSparkHistory(index));
  }
  return data;
}

/** Annual facts for fiscal years 2021–2024 (December year end), filed the way 10-Ks file them. */
export function syntheticCompanyFacts(company: SyntheticCompany, seed: number): unknown {
  const years = [2021, 2022, 2023, 2024];
  const fact = (year: number, val: number) => ({
    start: `${year}-01-01`,
    end: `${year}-12-31`,
    val,
    accn: accession(company.cik, year + 1),
    fy: year,
    fp: 'FY',
    form: '10-K',
    filed: `${year + 1}-02-15`,
  });
  const eps = (year: number): number => Math.round((1 + (seed % 7) * 0.25 + (year - 2021) * 0.3) * 100) / 100;
  return {
    cik: company.cik,
    entityName: company.name,
    facts: {
      'us-gaap': {
        EarningsPerShareDiluted: { label: 'EPS diluted', units: { 'USD/shares': years.map((year) => fact(year, eps(year))) } },
        Revenues: { label: 'Revenues', units: { USD: years.map((year) => fact(year, 1_000_000_000 + seed * 1_000_000 + (year - 2021) * 50_000_000)) } },
        NetIncomeLoss: { label: 'Net income', units: { USD: years.map((year) => fact(year, 100_000_000 + seed * 100_000 + (year - 2021) * 5_000_000)) } },
      },
    },
  };
}

export function syntheticSubmissions(company: SyntheticCompany, seed: number): unknown {
  const years = [2025, 2024, 2023];
  return {
    cik: String(company.cik).padStart(10, '0'),
    name: company.name,
    sic: String(3570 + (seed % 10)),
    sicDescription: 'Computer & Office Equipment',
    fiscalYearEnd: '1231',
    tickers: [company.symbol],
    exchanges: [company.exchange],
    filings: {
      recent: {
        accessionNumber: years.map((year) => accession(company.cik, year)),
        filingDate: years.map((year) => `${year}-02-15`),
        reportDate: years.map((year) => `${year - 1}-12-31`),
        acceptanceDateTime: years.map((year) => `${year}-02-15T16:30:00.000Z`),
        form: years.map(() => '10-K'),
        primaryDocument: years.map((year) => `t${year}-10k.htm`),
        primaryDocDescription: years.map(() => '10-K'),
      },
      files: [],
    },
  };
}

export function syntheticChart(company: SyntheticCompany, seed: number): unknown {
  const price = 20 + (seed % 200);
  return {
    chart: {
      result: [
        {
          meta: {
            currency: 'USD',
            symbol: company.symbol,
            exchangeName: company.exchange === 'NYSE' ? 'NYQ' : 'NMS',
            fullExchangeName: company.exchange,
            regularMarketTime: 1_764_018_000,
            regularMarketPrice: price,
            fiftyTwoWeekHigh: price * 1.2,
            fiftyTwoWeekLow: price * 0.7,
            longName: company.name,
          },
          timestamp: [1_764_018_000],
          indicators: { quote: [{ close: [price] }] },
        },
      ],
      error: null,
    },
  };
}

/** The last synthetic close: Tuesday 2026-11-24, 16:00 in New York (the benchmark's night). */
const SYNTHETIC_LAST_CLOSE_S = Date.UTC(2026, 10, 24, 21) / 1000;
const SYNTHETIC_SPARK_POINTS = 260;
const DAY_S = 86_400;

/**
 * A year and a bit of weekday closes ending on SYNTHETIC_LAST_CLOSE_S at syntheticChart's price,
 * waving within its 52-week range (0.7–1.2 × price). Holidays are not skipped; nothing needs them.
 */
export function syntheticSparkHistory(seed: number): SparkHistory {
  const price = 20 + (seed % 200);
  const amplitude = 0.08 + (seed % 5) * 0.02;
  const timestamp: number[] = [];
  for (let at = SYNTHETIC_LAST_CLOSE_S; timestamp.length < SYNTHETIC_SPARK_POINTS; at -= DAY_S) {
    const weekday = new Date(at * 1000).getUTCDay();
    if (weekday !== 0 && weekday !== 6) timestamp.unshift(at);
  }
  const close = timestamp.map((_at, index) => {
    const daysBeforeLast = timestamp.length - 1 - index;
    return Math.round(price * (1 + amplitude * Math.sin((daysBeforeLast * 2 * Math.PI) / 61)) * 100) / 100;
  });
  return { timestamp, close };
}

/**
 * Flat daily closes for the spark endpoint: `value` on each weekday of the `days` calendar days
 * ending at `lastDay` (YYYY-MM-DD), stamped at 09:30 New York. For a listing, or an exchange-rate
 * pair (`TWDUSD=X`), served in the same shape as an equity's (spark bodies carry no meta: a pair's
 * quote currency is in its name). Synthesised: no recorded spark body of a currency pair was at hand.
 */
export function flatSparkHistory(value: number, lastDay: string, days = 10): SparkHistory {
  const timestamp: number[] = [];
  const last = Date.parse(`${lastDay}T14:30:00Z`) / 1000;
  for (let at = last - (days - 1) * DAY_S; at <= last; at += DAY_S) {
    const weekday = new Date(at * 1000).getUTCDay();
    if (weekday !== 0 && weekday !== 6) timestamp.push(at);
  }
  return { timestamp, close: timestamp.map(() => value) };
}

function accession(cik: number, year: number): string {
  return `${String(cik).padStart(10, '0')}-${String(year % 100).padStart(2, '0')}-000001`;
}

/** 0 -> "AAAA", 1 -> "AAAB": distinct, valid symbols. */
function toLetters(index: number): string {
  let text = '';
  let rest = index;
  for (let i = 0; i < 4; i += 1) {
    text = String.fromCharCode(65 + (rest % 26)) + text;
    rest = Math.floor(rest / 26);
  }
  return text;
}
