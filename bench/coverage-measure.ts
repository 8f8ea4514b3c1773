import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extractChartQuote } from '../src/extract/chart.js';
import { extractCompanyFacts } from '../src/extract/companyfacts.js';
import { computeLynchMetrics } from '../src/extract/lynch-metrics.js';
import { extractSpark, sparkQuote } from '../src/extract/spark.js';
import { planStockWrite } from '../src/extract/stock-rows.js';
import type { EarningsRow, QuoteRow, SharesOutstandingSource } from '../src/extract/types.js';
import { SourceError } from '../src/errors.js';
import { CHART } from '../src/sources/schemas/chart.js';
import { COMPANYFACTS } from '../src/sources/schemas/companyfacts.js';
import { SPARK } from '../src/sources/schemas/spark.js';
import { TICKER_FILE } from '../src/sources/schemas/ticker-file.js';

/**
 * The coverage of the fundamentals over the real companyfacts bodies of test/fixtures/sec: for each
 * company, which figures its last fiscal year's FY row has and whether a P/E comes out of the
 * product's own metrics. Every figure goes through the product's decoding and extraction; the P/E
 * only through computeLynchMetrics, so a filer reporting in another currency than the price's
 * counts as "not computed (currency)", never as covered.
 */

/** A price without a recorded Yahoo body: nominal, in the currency of a US listing. */
export const NOMINAL_PRICE_USD = 100;

/** Why the P/E is what it is. */
export type PeStatus = 'computed' | 'not computed (currency)' | 'no positive EPS' | 'no FY row';

/** One company's coverage. */
export interface CompanyCoverage {
  cik: string;
  name: string;
  /** The fixture file, relative to the sec/ folder. */
  fixture: string;
  /** The class in classes/expected-figures.json, else `large cap`. */
  companyClass: string;
  /** True when expected-figures.json marks the body as trimmed, by its source repository or here (figures missing by the trim, not at SEC). */
  trimmed: boolean;
  fiscalYear: number | null;
  eps: boolean;
  revenue: boolean;
  revenueConcept: string | null;
  netIncome: boolean;
  shares: boolean;
  sharesSource: SharesOutstandingSource | null;
  pe: boolean;
  peStatus: PeStatus;
  /** Where the price came from: the recorded Yahoo body and symbol, or `nominal`. */
  priceSource: string;
  reportingCurrency: string | null;
  metricsNote: string | null;
}

export const FIELDS = ['eps', 'revenue', 'netIncome', 'shares', 'pe'] as const;
export type Field = (typeof FIELDS)[number];

/** Covered companies per field, out of `companies`. */
export interface CoverageTotals {
  companies: number;
  covered: Record<Field, number>;
  /** Companies whose P/E the currency rule held back. */
  peNotComputedCurrency: number;
}

export interface Coverage {
  companies: CompanyCoverage[];
  totals: CoverageTotals;
  byClass: { companyClass: string; totals: CoverageTotals }[];
}

/** The companyfacts bodies directly in `secDir` and in `secDir/classes`, relative to `secDir`. */
export function factsFixtures(secDir: string): string[] {
  const inDir = (sub: string) =>
    readdirSync(path.join(secDir, sub))
      .filter((file) => /^companyfacts_CIK\d{10}\.json\.gz$/.test(file))
      .map((file) => path.join(sub, file));
  return [...inDir('.'), ...inDir('classes')].sort();
}

/** The newest recorded quote per symbol, from every chart and spark body the product can decode. */
export function recordedQuotes(yahooDir: string): Map<string, { quote: QuoteRow; file: string }> {
  const quotes = new Map<string, { quote: QuoteRow; file: string }>();
  const keep = (symbol: string, quote: QuoteRow, file: string): void => {
    const held = quotes.get(symbol);
    if (quote.price === null) return;
    if (held === undefined || (quote.price_time ?? '') > (held.quote.price_time ?? '')) quotes.set(symbol, { quote, file });
  };
  for (const file of readdirSync(yahooDir).filter((name) => name.endsWith('.json'))) {
    const bytes = readFileSync(path.join(yahooDir, file));
    try {
      if (file.includes('spark')) {
        for (const [symbol, series] of extractSpark(SPARK.decode(bytes, file))) keep(symbol, sparkQuote(series), file);
        continue;
      }
      const body = CHART.decode(bytes, file);
      const chart = extractChartQuote(body);
      const symbol = body.chart.result?.[0]?.meta.symbol;
      if (chart.kind === 'quote' && typeof symbol === 'string') keep(symbol, chart.quote, file);
    } catch (error) {
      // A body the product refuses (the v7 spark shape) gives no price, as it would on a night.
      if (!(error instanceof SourceError)) throw error;
    }
  }
  return quotes;
}

/** The name and tickers (in the ticker file's order) per CIK of 10 digits. */
function listingsByCik(tickerFile: string): Map<string, { name: string | null; tickers: string[] }> {
  const byCik = new Map<string, { name: string | null; tickers: string[] }>();
  for (const row of TICKER_FILE.decode(readFileSync(tickerFile), path.basename(tickerFile))) {
    const cik = String(row.cik).padStart(10, '0');
    const held = byCik.get(cik);
    byCik.set(cik, { name: held?.name ?? row.name, tickers: [...(held?.tickers ?? []), row.ticker] });
  }
  return byCik;
}

/** The earnings rows as the store writes them: per-share values on the basis of the company's splits. */
function storedEarnings(extract: ReturnType<typeof extractCompanyFacts>): EarningsRow[] {
  const nothing = { sharesOutstanding: null, price: null, currency: null, earnings: [], splits: [], recentCloses: [], olderCloseRange: { high: null, low: null } };
  const update = { symbol: 'X', cik: null, name: null, exchange: null, fundamentalsRefreshed: true, earnings: extract.earnings, splits: extract.splits };
  return planStockWrite(nothing, update, '2026-12-04T07:00:00Z').earnings ?? [];
}

/** Which figures one body gives, and its P/E at `quote`. */
export function companyCoverage(bytes: Buffer, fixture: string, quote: { price: number; currency: string; source: string }): Omit<CompanyCoverage, 'companyClass' | 'name' | 'trimmed'> {
  const facts = COMPANYFACTS.decode(bytes, fixture);
  const extract = extractCompanyFacts(facts);
  const earnings = storedEarnings(extract);
  const last = earnings.filter((row) => row.period === 'FY').reduce<EarningsRow | null>((newest, row) => (newest === null || row.fiscal_year > newest.fiscal_year ? row : newest), null);
  const metrics = computeLynchMetrics({ price: quote.price, sharesOutstanding: extract.sharesOutstanding?.value ?? null, earnings, quoteCurrency: quote.currency });
  const peHeld = metrics.pe_ratio === null && (metrics.metrics_note ?? '').includes('pe_ratio');
  const peStatus: PeStatus = metrics.pe_ratio !== null ? 'computed' : peHeld ? 'not computed (currency)' : last === null ? 'no FY row' : 'no positive EPS';
  return {
    cik: /CIK(\d{10})/.exec(fixture)?.[1] ?? '',
    fixture,
    fiscalYear: last?.fiscal_year ?? null,
    eps: last?.eps_diluted != null,
    revenue: last?.revenue != null,
    revenueConcept: last?.revenue_concept ?? null,
    netIncome: last?.net_income != null,
    shares: extract.sharesOutstanding !== null,
    sharesSource: extract.sharesOutstanding?.source ?? null,
    pe: metrics.pe_ratio !== null,
    peStatus,
    priceSource: quote.source,
    reportingCurrency: last?.reporting_currency ?? null,
    metricsNote: metrics.metrics_note,
  };
}

/** Totals over some companies. */
export function totalsOf(companies: readonly CompanyCoverage[]): CoverageTotals {
  const covered = Object.fromEntries(FIELDS.map((field) => [field, companies.filter((company) => company[field]).length])) as Record<Field, number>;
  return { companies: companies.length, covered, peNotComputedCurrency: companies.filter((company) => company.peStatus === 'not computed (currency)').length };
}

/** The class, name and body completeness of each CIK named in classes/expected-figures.json. */
function classesByCik(secDir: string): Map<string, { class: string; name: string; body: { complete: boolean } }> {
  const file = JSON.parse(readFileSync(path.join(secDir, 'classes', 'expected-figures.json'), 'utf8')) as { companies: { cik: string; class: string; name: string; body: { complete: boolean } }[] };
  return new Map(file.companies.map((company) => [company.cik, company]));
}

/** The coverage of every companyfacts body under `fixturesDir/sec`, priced from `fixturesDir/yahoo`. */
export function measureCoverage(fixturesDir: string): Coverage {
  const secDir = path.join(fixturesDir, 'sec');
  const quotes = recordedQuotes(path.join(fixturesDir, 'yahoo'));
  const listings = listingsByCik(path.join(secDir, 'company_tickers_exchange_2025.json'));
  const classes = classesByCik(secDir);
  const companies = factsFixtures(secDir).map((fixture): CompanyCoverage => {
    const cik = /CIK(\d{10})/.exec(fixture)?.[1] ?? '';
    const listing = listings.get(cik);
    const symbol = listing?.tickers.find((ticker) => quotes.has(ticker));
    const recorded = symbol === undefined ? undefined : quotes.get(symbol);
    const quote =
      recorded && recorded.quote.price !== null
        ? { price: recorded.quote.price, currency: recorded.quote.currency ?? 'USD', source: `${String(symbol)} ${recorded.quote.price_time?.slice(0, 10) ?? ''} (${recorded.file})` }
        : { price: NOMINAL_PRICE_USD, currency: 'USD', source: 'nominal' };
    const named = classes.get(cik);
    const name = named?.name ?? listing?.name ?? `CIK ${cik}`;
    return { ...companyCoverage(gunzipSync(readFileSync(path.join(secDir, fixture))), fixture, quote), name, companyClass: named?.class ?? 'large cap', trimmed: named?.body.complete === false };
  });
  const classNames = [...new Set(companies.map((company) => company.companyClass))].sort();
  return {
    companies,
    totals: totalsOf(companies),
    byClass: classNames.map((companyClass) => ({ companyClass, totals: totalsOf(companies.filter((company) => company.companyClass === companyClass)) })),
  };
}
