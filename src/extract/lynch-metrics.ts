/**
 * Peter Lynch screening metrics from a price, a share count and the `earnings_history` rows of one
 * company. Pure: no I/O, never throws. Every output is a finite number or `null`; `null` means
 * "missing, negative or meaningless input", never a stand-in zero or Infinity.
 *
 * Shared rules
 * - EPS of a row: `eps_diluted_adjusted` (today's share basis, comparable with today's price).
 *   Within one set of rows (the four TTM quarters, the annual window) one basis only: adjusted
 *   when any row of the set has it, otherwise as-filed `eps_diluted`. As-filed values on both
 *   sides of a split would read as a collapse or a jump. Dividends per share follow the same rule
 *   (`dividends_per_share`, else `dividends_per_share_as_filed`).
 * - Latest fiscal year L: the `fiscal_year` of the latest FY row (one row per fiscal year; the
 *   later `period_end` wins a duplicate).
 * - Rounding: `market_cap` to a whole currency unit; every other metric to 4 decimal places.
 * - One currency, one share basis (metric-currency.ts): EPS and dividends are in the filer's
 *   reporting currency per ordinary share, the price in the listing's currency per listed share.
 *   r = ordinary shares per listed share (1 for a 10-K/10-Q filer, else the config's
 *   `adr_ratios`), fx = quote currency per unit of the reporting currency (the night's rate, 1 when
 *   the currencies agree). r unknown (a 20-F/40-F filer without `adr_ratios`): `market_cap`,
 *   `pe_ratio`, `peg_ratio` and `dividend_yield` null; fx unknown (the pair failed): `pe_ratio`,
 *   `peg_ratio` and `dividend_yield` null; `metrics_note` says which. Rows of a set (the four
 *   quarters, the growth window) must share one currency, the one converted from: four quarters
 *   that do not are replaced by the FY row, a growth window that does not gives no growth, PEG or
 *   category (noted). Growth is computed in the filer's currency. Unknown currencies (rows stored
 *   before schema version 5, a quote without one) block nothing.
 *
 * Formulas
 * - `market_cap` = sharesOutstanding × (price ÷ r), in the price's currency (the cover page
 *   counts ordinary shares). Null when either is missing or <= 0.
 * - `ttm_eps` = sum of the EPS of the four most recent quarter rows (Q1..Q4 ordered by
 *   `period_end`) when they are consecutive (each `period_end` 80–100 days after the previous, so
 *   52/53-week quarters pass), all four have EPS, and the newest ends no earlier than the latest
 *   FY row. Otherwise the latest FY row's EPS (adjusted, else as-filed). Earlier quarters or
 *   older years are never searched: a stale EPS would give a wrong P/E. May be negative.
 * - `pe_ratio` = price ÷ (ttm_eps × r × fx): EPS per listed share in the price's currency.
 *   Null when price is missing or <= 0, or ttm_eps is missing or <= 0. `ttm_eps` stays as filed.
 * - `eps_growth_rate` (% a year) = ((EPS_last ÷ EPS_first)^(1/n) − 1) × 100 over the FY EPS values
 *   of fiscal years L−4..L (five years). first and last are the oldest and newest years with a
 *   value, n the difference of their fiscal years. Needs at least 3 values and EPS_first > 0 and
 *   EPS_last > 0, else null. Gaps (a year without a value) are allowed: n counts calendar fiscal
 *   years, so a gap neither inflates nor deflates the rate, and years before L−4 are not pulled in
 *   to fill it. Flat EPS gives 0, not null.
 * - `peg_ratio` = pe_ratio ÷ eps_growth_rate (the rounded outputs). Null when either is null or
 *   eps_growth_rate <= 0.
 * - `dividend_yield` (%) = DPS × r × fx ÷ price × 100, where DPS is the latest FY row's dividends per share,
 *   else the sum over the same four consecutive quarters as ttm_eps (all four must have a value).
 *   Null when there is no dividend figure or price is missing or <= 0: XBRL without a dividend
 *   tag is not proof of no dividend (companies tag it under concepts not read here). A reported 0
 *   gives 0. A negative DPS gives null.
 * - `debt_to_equity` = total_liabilities ÷ stockholders_equity of the latest row (any period, by
 *   `period_end`) that has both. Total liabilities, not just interest-bearing debt: EDGAR has no
 *   uniform debt tag. Null when equity <= 0 or liabilities < 0.
 * - `metrics_note`: why metrics whose inputs exist are null (the currency and basis rule above),
 *   notes joined by "; "; null when nothing was held back.
 *
 * Lynch category ("One Up on Wall Street": slow growers 2–4 %, stalwarts 10–12 %, fast growers
 * 20–25 %, cyclicals, turnarounds, asset plays; asset plays need balance-sheet values at market
 * and are not derived). On the FY EPS values of fiscal years L−5..L (six years); null with fewer
 * than 3 values. First match wins:
 * 1. `turnaround`: the newest value is > 0 and one of the 3 fiscal years before it has EPS <= 0.
 * 2. `cyclical`: a fall from profit (EPS > 0) into a loss (EPS <= 0) between consecutive values,
 *    or at least one year-over-year rise > 40 % and one fall > 40 % (moves between adjacent fiscal
 *    years with both EPS > 0). A loss that turns into lasting profit is not cyclical, and large
 *    rises alone (a fast grower) are not.
 * 3. By eps_growth_rate g (null g gives null): g < 5 `slow_grower` (including shrinking EPS),
 *    5 <= g <= 20 `stalwart` (Lynch's 10–12 % widened to fill the gaps either side), g > 20
 *    `fast_grower`.
 */
import { categorize, growthPercent, type LynchCategory, type YearEps } from './lynch-category.js';
import type { RateChoice } from './fx-rates.js';
import { againstPrice, currencyOf, listed, priceBasis } from './metric-currency.js';
import type { EarningsRow } from './types.js';

/** What the metrics are computed from. */
export interface LynchInput {
  /** Current price, on today's share basis. */
  price: number | null;
  /** Latest shares outstanding (cover page, balance sheet or diluted average). */
  sharesOutstanding: number | null;
  /** FY and Q1..Q4 rows, in any order. */
  earnings: EarningsRow[];
  /** ISO currency of the price; null or absent when unknown (then no currency is compared). @default null */
  quoteCurrency?: string | null;
  /** Ordinary shares per listed share (the config's `adr_ratios`); null or absent when not stated. @default null */
  adsRatio?: number | null;
  /** The night's exchange rate from the reporting currency to the price's, when they differ. @default null (none) */
  fx?: RateChoice | null;
  /** The listing, named in the note when its shares per ADS are unknown. @default null */
  symbol?: string | null;
}

export type { LynchCategory } from './lynch-category.js';

/** The metrics; see the file comment for each formula. Percentages are in % (4.5 means 4.5 %). */
export type LynchMetrics = { [K in MetricName]: K extends 'lynch_category' ? LynchCategory | null : K extends 'metrics_note' ? string | null : number | null };

/**
 * Every metric, declared once: its `stock_metrics` column, unit, inputs and formula. The store's
 * columns are these (db/stock-store-sql.ts), `computeLynchMetrics` returns exactly these keys, and
 * README.md ("Lynch metrics") states each formula as written here (a test holds all three to it).
 */
export const METRICS = [
  {
    name: 'market_cap',
    unit: 'currency of the price',
    inputs: ['price', 'shares_outstanding', 'adr_ratios'],
    formula: '`market_cap` = shares outstanding × (price ÷ r)',
  },
  { name: 'ttm_eps', unit: 'currency per share', inputs: ['earnings_history (quarters, FY)'], formula: '`ttm_eps` = the sum of the last four quarters when they are consecutive' },
  { name: 'pe_ratio', unit: 'ratio', inputs: ['price', 'ttm_eps', 'adr_ratios', 'fx_rate'], formula: '`pe_ratio` = price ÷ (ttm_eps × r × fx)' },
  { name: 'eps_growth_rate', unit: '% a year', inputs: ['earnings_history (FY)'], formula: '`eps_growth_rate` (% a year) = ((EPS_last ÷ EPS_first)^(1/n) − 1) × 100' },
  { name: 'peg_ratio', unit: 'ratio', inputs: ['pe_ratio', 'eps_growth_rate'], formula: '`peg_ratio` = pe_ratio ÷ eps_growth_rate' },
  {
    name: 'dividend_yield',
    unit: '%',
    inputs: ['price', 'earnings_history (dividends per share)', 'adr_ratios', 'fx_rate'],
    formula: "`dividend_yield` (%) = the last fiscal year's dividends per share",
  },
  { name: 'debt_to_equity', unit: 'ratio', inputs: ['earnings_history (balance sheet)'], formula: "`debt_to_equity` = total liabilities ÷ stockholders' equity" },
  { name: 'lynch_category', unit: 'category', inputs: ['earnings_history (FY)'], formula: '`lynch_category` (Peter Lynch, *One Up on Wall Street*)' },
  {
    name: 'metrics_note',
    unit: 'text',
    inputs: ['currency of the price', 'earnings_history (reporting_currency, form)', 'adr_ratios', 'fx_rate'],
    formula: '`metrics_note` = why metrics whose inputs exist are NULL: shares per ADS unknown, no exchange rate',
  },
] as const satisfies readonly { name: string; unit: string; inputs: readonly string[]; formula: string }[];

export type MetricName = (typeof METRICS)[number]['name'];

/** The `stock_metrics` columns the metrics fill, in declaration order. */
export const METRIC_COLUMNS: readonly MetricName[] = METRICS.map((metric) => metric.name);

const DAY_MS = 86_400_000;
const QUARTER_GAP_MIN_DAYS = 80;
const QUARTER_GAP_MAX_DAYS = 100;
const GROWTH_WINDOW_YEARS = 5;
const CATEGORY_WINDOW_YEARS = 6;
const RATIO_DECIMALS = 4;

/** Values from SQLite or arithmetic may be NaN or Infinity; they count as missing. */
function finite(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function round(value: number | null, decimals: number): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const factor = 10 ** decimals;
  const rounded = Math.round(value * factor) / factor;
  // Past ~1e304 the scaling overflows; such a value has no decimals left to round anyway.
  if (!Number.isFinite(rounded)) return value;
  return rounded === 0 ? 0 : rounded; // no -0 in the database
}

const positive = (value: number | null): value is number => value !== null && value > 0;

type NumericColumn = { [K in keyof EarningsRow]: EarningsRow[K] extends number | null ? K : never }[keyof EarningsRow];

/** One value per row, all on today's basis when any row has it, else all as filed. */
function onOneBasis(rows: readonly EarningsRow[], adjusted: NumericColumn, asFiled: NumericColumn): (number | null)[] {
  const read = (row: EarningsRow, key: NumericColumn) => finite(row[key]);
  const key = rows.some((row) => read(row, adjusted) !== null) ? adjusted : asFiled;
  return rows.map((row) => read(row, key));
}

const epsOf = (rows: readonly EarningsRow[]) => onOneBasis(rows, 'eps_diluted_adjusted', 'eps_diluted');
const dividendsOf = (rows: readonly EarningsRow[]) => onOneBasis(rows, 'dividends_per_share', 'dividends_per_share_as_filed');

function sumAll(values: readonly (number | null)[]): number | null {
  return values.every((v) => v !== null) ? (values as number[]).reduce((sum, v) => sum + v, 0) : null;
}

/** FY rows, one per fiscal year (later period_end wins), oldest first. */
function annualRows(earnings: readonly EarningsRow[]): EarningsRow[] {
  const byYear = new Map<number, EarningsRow>();
  for (const row of earnings) {
    if (row.period !== 'FY') continue;
    const other = byYear.get(row.fiscal_year);
    if (other === undefined || row.period_end > other.period_end) byYear.set(row.fiscal_year, row);
  }
  return [...byYear.values()].sort((a, b) => a.fiscal_year - b.fiscal_year);
}

/** The four newest quarter rows when consecutive and not older than the latest FY row, else null. */
function trailingQuarters(earnings: readonly EarningsRow[], latestYear: EarningsRow | undefined): EarningsRow[] | null {
  const quarters = earnings.filter((row) => row.period !== 'FY').sort((a, b) => a.period_end.localeCompare(b.period_end));
  const four = quarters.slice(-4);
  const newest = four.at(-1);
  if (four.length < 4 || newest === undefined) return null;
  if (latestYear !== undefined && newest.period_end < latestYear.period_end) return null;
  for (let i = 1; i < four.length; i++) {
    const days = (Date.parse(four[i]?.period_end ?? '') - Date.parse(four[i - 1]?.period_end ?? '')) / DAY_MS;
    // NaN (an unreadable date) fails both comparisons.
    if (!(days >= QUARTER_GAP_MIN_DAYS && days <= QUARTER_GAP_MAX_DAYS)) return null;
  }
  return four;
}

/** The latest FY row's value, on today's basis when it has one. */
function latestAnnual(row: EarningsRow | undefined, adjusted: number | null | undefined, asFiled: number | null | undefined): number | null {
  return row === undefined ? null : (finite(adjusted) ?? finite(asFiled));
}

/** FY EPS values of the last `years` fiscal years ending at the latest FY row, oldest first. */
function annualEps(annual: readonly EarningsRow[], years: number): YearEps[] {
  const latestYear = annual.at(-1)?.fiscal_year;
  if (latestYear === undefined) return [];
  const window = annual.filter((row) => row.fiscal_year > latestYear - years);
  const eps = epsOf(window);
  return window.flatMap((row, i) => {
    const value = eps[i];
    return value === null || value === undefined ? [] : [{ year: row.fiscal_year, eps: value }];
  });
}

/** Total liabilities over equity at the latest row carrying both. */
function debtToEquity(earnings: readonly EarningsRow[]): number | null {
  const newestFirst = [...earnings].sort((a, b) => b.period_end.localeCompare(a.period_end));
  for (const row of newestFirst) {
    const liabilities = finite(row.total_liabilities);
    const equity = finite(row.stockholders_equity);
    if (liabilities === null || equity === null) continue;
    return positive(equity) && liabilities >= 0 ? liabilities / equity : null;
  }
  return null;
}

/** The TTM EPS and the rows it is the EPS of: the four quarters, else the latest FY row. */
function trailingEps(quarters: EarningsRow[] | null, latestYear: EarningsRow | undefined): { eps: number | null; rows: EarningsRow[] } {
  const fromQuarters = quarters && sumAll(epsOf(quarters));
  if (quarters && fromQuarters !== null) return { eps: fromQuarters, rows: quarters };
  return { eps: latestAnnual(latestYear, latestYear?.eps_diluted_adjusted, latestYear?.eps_diluted), rows: latestYear ? [latestYear] : [] };
}

/** Dividends per share: the latest FY row's, else the four quarters' sum, and the rows they come from. */
function trailingDividends(quarters: EarningsRow[] | null, latestYear: EarningsRow | undefined): { dps: number | null; rows: EarningsRow[] } {
  const annual = latestAnnual(latestYear, latestYear?.dividends_per_share, latestYear?.dividends_per_share_as_filed);
  if (annual !== null && latestYear) return { dps: annual, rows: [latestYear] };
  return { dps: quarters && sumAll(dividendsOf(quarters)), rows: quarters ?? [] };
}

/** Computes every metric of {@link LynchMetrics}; see the file comment for formulas and thresholds. */
export function computeLynchMetrics(input: LynchInput): LynchMetrics {
  const price = finite(input.price);
  const shares = finite(input.sharesOutstanding);
  const quoteCurrency = input.quoteCurrency ?? null;
  const annual = annualRows(input.earnings);
  const latestYear = annual.at(-1);
  const trailing = trailingQuarters(input.earnings, latestYear);
  // Four quarters in two currencies are no year: the FY row stands in, as for a missing quarter.
  const quarters = trailing && currencyOf(trailing).mixed === null ? trailing : null;
  const basis = priceBasis({ earnings: input.earnings, quoteCurrency, adsRatio: input.adsRatio ?? null, symbol: input.symbol ?? null, fx: input.fx ?? null });
  const notes = [...basis.notes];
  const factor = basis.perListedShare;
  // The rows a ratio uses must be in the currency converted from, or the price's (an older year of
  // a company that changed its reporting currency may not be).
  const blocked = (rows: readonly EarningsRow[], what: string, metrics: string[]): boolean => {
    if (factor === null) return true;
    if (againstPrice(rows, basis.figureCurrency)) return false;
    const { currency, mixed } = currencyOf(rows);
    const against = basis.convertedFrom === null ? `quoted in ${String(quoteCurrency)}` : `converted from ${basis.convertedFrom}`;
    notes.push(`${what} in ${listed(mixed ?? [String(currency)])}, ${against}: ${listed(metrics)} not computed`);
    return true;
  };

  const ttm = trailingEps(quarters, latestYear);
  const peBlocked = blocked(ttm.rows, 'ttm_eps', ['pe_ratio', 'peg_ratio']);
  const pe = round(!peBlocked && factor !== null && positive(price) && positive(ttm.eps) ? price / (ttm.eps * factor) : null, RATIO_DECIMALS);

  const categoryRows = annual.filter((row) => row.fiscal_year > (latestYear?.fiscal_year ?? 0) - CATEGORY_WINDOW_YEARS);
  const mixedYears = currencyOf(categoryRows).mixed;
  if (mixedYears) notes.push(`annual EPS in ${listed(mixedYears)}: eps_growth_rate, peg_ratio and lynch_category not computed`);
  const categoryWindow = mixedYears ? [] : annualEps(annual, CATEGORY_WINDOW_YEARS);
  const growthFrom = (latestYear?.fiscal_year ?? 0) - GROWTH_WINDOW_YEARS;
  const growth = round(growthPercent(categoryWindow.filter((v) => v.year > growthFrom)), RATIO_DECIMALS);

  const dividends = trailingDividends(quarters, latestYear);
  const yieldBlocked = blocked(dividends.rows, 'dividends', ['dividend_yield']);
  const dividendYield = !yieldBlocked && factor !== null && positive(price) && dividends.dps !== null && dividends.dps >= 0 ? ((dividends.dps * factor) / price) * 100 : null;
  const { shareRatio } = basis;

  return {
    market_cap: round(shareRatio !== null && positive(price) && positive(shares) ? shares * (price / shareRatio) : null, 0),
    pe_ratio: pe,
    ttm_eps: round(ttm.eps, RATIO_DECIMALS),
    eps_growth_rate: growth,
    peg_ratio: round(pe !== null && positive(growth) ? pe / growth : null, RATIO_DECIMALS),
    dividend_yield: round(dividendYield, RATIO_DECIMALS),
    debt_to_equity: round(debtToEquity(input.earnings), RATIO_DECIMALS),
    lynch_category: categorize(categoryWindow, growth),
    metrics_note: notes.length > 0 ? notes.join('; ') : null,
  };
}
