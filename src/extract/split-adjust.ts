import type { EarningsRow, SplitEvent } from './types.js';
import { DAY_MS, conceptChain, filedLater, type Fact, type FactsIndex } from './facts-index.js';

/*
 * Putting per-share values on today's share basis. EDGAR restates per-share values only in filings
 * made after a split, so a value last filed before a split is on the old basis (Apple's FY2017
 * diluted EPS 9.21 was never restated for the 2020 4:1 split; 2.3025 on today's basis). A split
 * is known from Yahoo's chart events or inferred here from values that later filings restated.
 */

/** Forward split ratios recognised in restatements; reverse splits are their reciprocals. */
export const SPLIT_RATIOS: readonly number[] = [1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30, 40, 50, 100];
const CANDIDATES = [...SPLIT_RATIOS, ...SPLIT_RATIOS.map((r) => 1 / r)];
/** Relative slack on top of the rounding of the filed values. */
const RATIO_TOLERANCE = 0.03;
/** A split needs this many restated (concept, period) values: one odd restatement is a tagging error. */
const MIN_RESTATED_VALUES = 2;
/** A restatement this long after a split with the same ratio belongs to that split (late restatements). */
const SAME_SPLIT_WINDOW_DAYS = 400;

/** Half a unit of the last decimal of a filed value; per-share values are filed to the cent or finer. */
function halfUnit(value: number): number {
  const decimals = (String(value).split('.')[1] ?? '').length;
  return 0.5 * 10 ** -Math.max(2, decimals);
}

/**
 * The split ratio that turned per-share value `before` into `after` (`before / after`, 4 for a 4:1
 * split), or null when none fits. A ratio fits when it lies within 3% of the range the rounding of
 * the two filed values allows; 0.08 → 0.02 fits 3, 4 and 5 and is ambiguous, so null.
 */
export function snapSplitRatio(before: number, after: number): number | null {
  if (!Number.isFinite(before) || !Number.isFinite(after) || before === 0 || after === 0 || Math.sign(before) !== Math.sign(after)) return null;
  const [b, a] = [Math.abs(before), Math.abs(after)];
  const [hb, ha] = [halfUnit(b), halfUnit(a)];
  if (a <= ha || b <= hb) return null;
  const [low, high] = [((b - hb) / (a + ha)) * (1 - RATIO_TOLERANCE), ((b + hb) / (a - ha)) * (1 + RATIO_TOLERANCE)];
  const fits = CANDIDATES.filter((ratio) => ratio >= low && ratio <= high);
  return fits.length === 1 ? (fits[0] ?? null) : null;
}

/** One restated value: the split happened after `lastOld` was filed and on or before `firstNew`. */
interface Restatement {
  ratio: number;
  lastOld: string;
  firstNew: string;
  id: string;
}

/** Facts of a chain grouped by period (`start/end`), oldest filing first, first concept per period only. */
function historiesByPeriod(index: FactsIndex, key: 'eps_diluted' | 'dividends_per_share_as_filed' | 'net_income'): Map<string, Fact[]>[] {
  const spec = conceptChain(key);
  return spec.concepts.map((ref) => {
    const byPeriod = new Map<string, Fact[]>();
    for (const fact of index.facts(ref, spec.unit)) {
      if (fact.start === null) continue;
      const period = `${fact.start}/${fact.end}`;
      byPeriod.set(period, [...(byPeriod.get(period) ?? []), fact]);
    }
    for (const facts of byPeriod.values()) facts.sort((x, y) => (filedLater(x, y) ? 1 : -1));
    return byPeriod;
  });
}

/**
 * True when net income of the period changed like the per-share value did: a restatement of the
 * earnings (Apple's 2009 revenue-recognition change: EPS 1.35 → 2.01, net income the same way), not a split.
 */
function netIncomeMovedAlike(history: readonly Fact[] | undefined, lastOld: string, firstNew: string, ratio: number): boolean {
  const before = history?.filter((f) => f.filed <= lastOld).at(-1);
  const after = history?.find((f) => f.filed >= firstNew);
  if (before === undefined || after === undefined || before.val === 0 || before.val / after.val <= 0) return false;
  const moved = before.val / after.val;
  return Math.abs(Math.log(moved / ratio)) < Math.abs(Math.log(moved));
}

/**
 * Splits inferred from restated per-share values in a company's indexed facts. A period whose
 * diluted EPS or dividends per share was filed as v0 and later as v1, with v0/v1 a split-like
 * ratio ({@link snapSplitRatio}) and net income not moved alike, is one restated value. Restated
 * values of the same ratio whose filing windows overlap (or that follow within ~400 days) are one
 * split, dated by the earliest filing carrying restated values: values last filed before that
 * date are on the old basis. At least two restated values make a split.
 */
export function inferSplitsFromRestatements(index: FactsIndex): SplitEvent[] {
  const netIncome = new Map<string, Fact[]>();
  for (const byPeriod of historiesByPeriod(index, 'net_income')) {
    for (const [period, facts] of byPeriod) if (!netIncome.has(period)) netIncome.set(period, facts);
  }
  const found: Restatement[] = [];
  for (const key of ['eps_diluted', 'dividends_per_share_as_filed'] as const) {
    historiesByPeriod(index, key).forEach((byPeriod, concept) => {
      for (const [period, facts] of byPeriod) {
        facts.forEach((old, i) => {
          const next = facts[i + 1];
          if (next === undefined || next.val === old.val || next.filed === old.filed) return;
          const ratio = snapSplitRatio(old.val, next.val);
          if (ratio === null || netIncomeMovedAlike(netIncome.get(period), old.filed, next.filed, ratio)) return;
          found.push({ ratio, lastOld: old.filed, firstNew: next.filed, id: `${key}${concept} ${period}` });
        });
      }
    });
  }
  return groupRestatements(found);
}

/**
 * Groups restated values into split events (see {@link inferSplitsFromRestatements}). Taken in the
 * order of their first restated filing, so an event's date is its earliest one; a value joins an
 * event of its ratio when it was last filed on the old basis before that date, or was restated
 * within the window after it (a filing that still carried old values after the split).
 */
function groupRestatements(found: Restatement[]): SplitEvent[] {
  const events: { ratio: number; date: string; ids: Set<string> }[] = [];
  found.sort((x, y) => x.firstNew.localeCompare(y.firstNew));
  for (const r of found) {
    const event = events.find((e) => e.ratio === r.ratio && (r.lastOld < e.date || daysBetween(e.date, r.firstNew) <= SAME_SPLIT_WINDOW_DAYS));
    if (event === undefined) events.push({ ratio: r.ratio, date: r.firstNew, ids: new Set([r.id]) });
    else event.ids.add(r.id);
  }
  return events
    .filter((e) => e.ids.size >= MIN_RESTATED_VALUES)
    .map((e): SplitEvent => ({ date: e.date, ratio: e.ratio, source: 'restatement' }))
    .sort((x, y) => x.date.localeCompare(y.date));
}

const daysBetween = (from: string, to: string): number => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);

/** A YYYY-MM-DD date that parses. */
const isDate = (value: unknown): boolean => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value));

const isUsable = (split: SplitEvent): boolean => isDate(split.date) && Number.isFinite(split.ratio) && split.ratio > 0;

/** The product of the ratios of the splits dated after `filed` (1 when `filed` is unknown). */
export function splitFactor(filed: string | null, splits: readonly SplitEvent[]): number {
  if (filed === null) return 1;
  return splits.filter((s) => isUsable(s) && s.date > filed).reduce((factor, s) => factor * s.ratio, 1);
}

/**
 * True when no split falls between the filing dates: values filed on both sides of a split are on
 * different share bases and must not be added or subtracted. Unknown dates are ignored.
 */
export function onSameShareBasis(filed: readonly (string | null)[], splits: readonly SplitEvent[]): boolean {
  const known = filed.filter((date): date is string => date !== null);
  return known.every((date) => splitFactor(date, splits) === splitFactor(known[0] ?? date, splits));
}

/** A per-share value filed on `from` put on the share basis of a filing of `to`. */
export function rebase(value: number, from: string, to: string, splits: readonly SplitEvent[]): number {
  const factor = splitFactor(from, splits) / splitFactor(to, splits);
  return factor === 1 ? value : roundPerShare(value / factor);
}

/**
 * A per-share value rounded for storage: 4 decimals, or 3 significant digits below 0.01 so that
 * old dividends divided by large factors (NVIDIA's 0.04 / 40) keep their precision.
 */
export function roundPerShare(value: number): number {
  const magnitude = Math.abs(value);
  const decimals = magnitude > 0 && magnitude < 0.01 ? Math.min(12, 2 - Math.floor(Math.log10(magnitude))) : 4;
  return (Math.sign(value) * Math.round(magnitude * 10 ** decimals)) / 10 ** decimals;
}

/**
 * Rows with `eps_diluted_adjusted` and `dividends_per_share` on today's share basis: the as-filed
 * value divided by the ratios of the splits dated after the row's `filed` (a row filed on a split's
 * date is already on the new basis), rounded by {@link roundPerShare}; unchanged when no split
 * follows. Null stays null; splits with an unreadable date or ratio are ignored. Pure.
 */
export function applySplits(rows: readonly EarningsRow[], splits: readonly SplitEvent[]): EarningsRow[] {
  const usable = splits.filter(isUsable);
  return rows.map((row) => {
    const factor = splitFactor(row.filed, usable);
    const adjust = (value: number | null): number | null => (value === null || factor === 1 ? value : roundPerShare(value / factor));
    return { ...row, eps_diluted_adjusted: adjust(row.eps_diluted), dividends_per_share: adjust(row.dividends_per_share_as_filed) };
  });
}

/** Ratios equal within the rounding of an inferred ratio (3%). */
const sameRatio = (a: number, b: number): boolean => Math.abs(Math.log(a / b)) <= RATIO_TOLERANCE;

/**
 * Yahoo's splits plus the inferred ones Yahoo does not have, oldest first. An inferred split with
 * Yahoo's ratio dated up to ~400 days after a Yahoo split (the first restated filing follows the
 * split date) or up to 31 days before it (time-zone and ex-date slack) is that split and dropped.
 */
export function mergeSplits(yahoo: readonly SplitEvent[], inferred: readonly SplitEvent[]): SplitEvent[] {
  const known = yahoo.filter(isUsable);
  const extra = inferred.filter(
    (split) => isUsable(split) && !known.some((y) => sameRatio(y.ratio, split.ratio) && daysBetween(y.date, split.date) >= -31 && daysBetween(y.date, split.date) <= SAME_SPLIT_WINDOW_DAYS),
  );
  return [...known, ...extra].sort((x, y) => x.date.localeCompare(y.date));
}
