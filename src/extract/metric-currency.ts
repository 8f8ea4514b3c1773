import type { EarningsRow } from './types.js';

/*
 * One currency per ratio. EDGAR's figures are in the filer's reporting currency (TSMC: TWD per
 * ordinary share), Yahoo's price in the listing's (USD per ADS of five shares). A ratio of the two
 * is computed only when their currencies are the same: converting the currency would still leave
 * the share basis of a foreign listing (an ADS, a New York registry share) unknown, since neither
 * source states it. Within one set of rows (the trailing quarters, the growth window) the figures
 * must share one currency too: a company that changed its reporting currency does not compare its
 * years across the change.
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
