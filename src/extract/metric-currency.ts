import { fxPair, type RateChoice } from './fx-rates.js';
import type { EarningsRow } from './types.js';

/*
 * One currency, one share basis, or NULL. EDGAR's figures are in the filer's reporting currency
 * per ordinary share (TSMC: TWD), Yahoo's price in the listing's currency per listed share (USD
 * per ADS of five shares). A ratio of the two needs both put on the price's terms: the currency by
 * the night's exchange rate (fx-rates.ts), the share basis by the ordinary shares per listed share
 * (1 for a 10-K/10-Q filer, whose shares trade directly; the config's `adr_ratios` for a 20-F or
 * 40-F filer, since neither source states it). Either unknown: the ratio is NULL, with a note.
 * Within one set of rows (the trailing quarters, the growth window) the figures must share one
 * currency too: a company that changed its reporting currency does not compare its years across
 * the change.
 */

/** The currency of some rows' figures: null when none states one (rows stored before schema version 5); `mixed` when they differ. */
export function currencyOf(rows: readonly EarningsRow[]): { currency: string | null; mixed: string[] | null } {
  const currencies = [...new Set(rows.flatMap((row) => (row.reporting_currency ? [row.reporting_currency] : [])))].sort();
  return currencies.length > 1 ? { currency: null, mixed: currencies } : { currency: currencies[0] ?? null, mixed: null };
}

/** The company's reporting currency: that of its newest row (by `period_end`) that states one. */
export function companyCurrency(earnings: readonly EarningsRow[]): string | null {
  let newest: EarningsRow | undefined;
  for (const row of earnings) if (row.reporting_currency && (newest === undefined || row.period_end > newest.period_end)) newest = row;
  return newest?.reporting_currency ?? null;
}

/**
 * Whether figures of these rows may be set against a price in `quoteCurrency`: one currency, and
 * the quote's. Unknown on either side (old rows, a quote without a currency) does not block.
 */
export function againstPrice(rows: readonly EarningsRow[], quoteCurrency: string | null): boolean {
  const { currency, mixed } = currencyOf(rows);
  return mixed === null && (currency === null || quoteCurrency === null || currency === quoteCurrency);
}

/** "a, b and c". */
export function listed(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}

/** Forms of a foreign private issuer, whose listing may be an ADS of several shares (a 10-K/10-Q filer's shares trade directly). */
const FOREIGN_FORMS = /^(20-F|40-F|6-K)(\/A)?$/;

/** The form of the company's newest row (by `period_end`) that names one: what it files now. */
export function filerForm(earnings: readonly EarningsRow[]): string | null {
  let newest: EarningsRow | undefined;
  for (const row of earnings) if (row.form && (newest === undefined || row.period_end > newest.period_end)) newest = row;
  return newest?.form ?? null;
}

/** What a ratio against the price is computed with; see {@link priceBasis}. */
export interface PriceBasisInput {
  earnings: readonly EarningsRow[];
  quoteCurrency: string | null;
  /** Ordinary shares per listed share, from the config's `adr_ratios`; null when not stated. */
  adsRatio: number | null;
  /** The listing, for the note naming the config key. */
  symbol: string | null;
  /** The exchange rate from the reporting currency to the quote's, when they differ. */
  fx: RateChoice | null;
}

/** How the filer's per-share figures meet the price. */
export interface PriceBasis {
  /** Ordinary shares per listed share; null when unknown (no market cap, no ratio). */
  shareRatio: number | null;
  /** Per-share figure × this = per listed share in the quote's currency (shareRatio × rate); null when either is unknown. */
  perListedShare: number | null;
  /** The currency the rows set against the price must be in: the reporting currency when converted, else the quote's. */
  figureCurrency: string | null;
  /** Set when the figures are converted: the reporting currency. */
  convertedFrom: string | null;
  notes: string[];
}

const PRICE_RATIOS = 'market_cap, pe_ratio, peg_ratio and dividend_yield';
const PER_SHARE_RATIOS = 'pe_ratio, peg_ratio and dividend_yield';

/**
 * The share basis and the currency of the ratios against the price. The basis: `adsRatio` when
 * stated, else 1 for a company whose newest row is from a 10-K or 10-Q (or names no form: rows
 * stored by hand), else unknown. The currency: a company reporting in another currency than the
 * price's (its newest row's) is converted by `fx`; without a rate its per-share ratios are NULL.
 * Unknown currencies (rows stored before schema version 5, a quote without one) block nothing.
 */
export function priceBasis(input: PriceBasisInput): PriceBasis {
  const notes: string[] = [];
  const form = filerForm(input.earnings);
  const direct = form === null || !FOREIGN_FORMS.test(form);
  const shareRatio = input.adsRatio ?? (direct ? 1 : null);
  if (shareRatio === null) notes.push(`shares per ADS unknown (${String(form)} filer): set adr_ratios.${input.symbol ?? '<symbol>'}: ${PRICE_RATIOS} not computed`);
  const reported = companyCurrency(input.earnings);
  const quote = input.quoteCurrency;
  if (reported === null || quote === null || reported === quote) {
    return { shareRatio, perListedShare: shareRatio, figureCurrency: quote, convertedFrom: null, notes };
  }
  const fx = input.fx ?? { missing: `no ${fxPair(reported, quote)} rate` };
  if ('missing' in fx) notes.push(`reported in ${reported}, quoted in ${quote}, ${fx.missing}: ${PER_SHARE_RATIOS} not computed`);
  const rate = 'rate' in fx ? fx.rate.rate : null;
  return { shareRatio, perListedShare: shareRatio === null || rate === null ? null : shareRatio * rate, figureCurrency: reported, convertedFrom: reported, notes };
}
