/*
 * Peter Lynch's categories and the EPS growth rate they rest on; the rules are stated in
 * lynch-metrics.ts's file comment.
 */

/** Peter Lynch's stock categories that the earnings data can show. */
export type LynchCategory = 'slow_grower' | 'stalwart' | 'fast_grower' | 'turnaround' | 'cyclical';

const MIN_ANNUAL_VALUES = 3;
const TURNAROUND_LOOKBACK_YEARS = 3;
const CYCLICAL_SWING_PCT = 40;
const SLOW_GROWER_BELOW_PCT = 5;
const STALWART_UP_TO_PCT = 20;

/** A fiscal year's EPS. */
export interface YearEps {
  year: number;
  eps: number;
}

/** Compound growth of EPS a year (%) between the first and last values; null with fewer than 3 values or an end <= 0. */
export function growthPercent(values: readonly YearEps[]): number | null {
  const first = values[0];
  const last = values.at(-1);
  if (values.length < MIN_ANNUAL_VALUES || first === undefined || last === undefined) return null;
  if (first.eps <= 0 || last.eps <= 0) return null;
  const years = last.year - first.year;
  return years > 0 ? ((last.eps / first.eps) ** (1 / years) - 1) * 100 : null;
}

function isTurnaround(values: readonly YearEps[]): boolean {
  const last = values.at(-1);
  if (last === undefined || last.eps <= 0) return false;
  return values.some((v) => v.year < last.year && v.year >= last.year - TURNAROUND_LOOKBACK_YEARS && v.eps <= 0);
}

function isCyclical(values: readonly YearEps[]): boolean {
  let rose = false;
  let fell = false;
  for (let i = 1; i < values.length; i++) {
    const prev = values[i - 1];
    const cur = values[i];
    if (prev === undefined || cur === undefined) continue;
    if (prev.eps > 0 && cur.eps <= 0) return true;
    // Across a missing year the move is two years' worth; only adjacent years count.
    if (cur.year !== prev.year + 1 || prev.eps <= 0 || cur.eps <= 0) continue;
    const change = ((cur.eps - prev.eps) / prev.eps) * 100;
    if (change > CYCLICAL_SWING_PCT) rose = true;
    if (change < -CYCLICAL_SWING_PCT) fell = true;
  }
  return rose && fell;
}

/** The category of the EPS values of the window, first match wins (turnaround, cyclical, then by growth). */
export function categorize(values: readonly YearEps[], growth: number | null): LynchCategory | null {
  if (values.length < MIN_ANNUAL_VALUES) return null;
  if (isTurnaround(values)) return 'turnaround';
  if (isCyclical(values)) return 'cyclical';
  if (growth === null) return null;
  if (growth < SLOW_GROWER_BELOW_PCT) return 'slow_grower';
  return growth <= STALWART_UP_TO_PCT ? 'stalwart' : 'fast_grower';
}
