import { SourceError } from '../errors.js';
import { changedCompanies, classifyAbsentDays, dailyIndexPath, indexDaysSince, isoDay, parseMasterIndex } from '../extract/daily-index.js';
import type { Store } from '../db/store.js';
import type { SecSource } from '../sources/sec.js';

/** The most days a night catches up through daily indexes; beyond that each company is checked. */
const MAX_INDEX_DAYS = 31;

/** What a night learned of each business day's daily index (YYYY-MM-DD days; the report's `daily_index`). */
export interface IndexDays {
  /** Read whole. */
  read: string[];
  /** No file (403 or 404) before a day that was read: nobody filed that day (a holiday). */
  noFile: string[];
  /** No file after the last day read: not published yet, read again the next night. */
  missing: string[];
  /** Damaged after the retries (no header, a line that is no filing, cut short): every company is checked instead. */
  damaged: string[];
}

/** How an incremental night learned which companies filed. */
export type ChangeDetection =
  { path: 'daily-index'; changed: Set<number>; days: number; reason: null; index: IndexDays } | { path: 'per-company'; changed: null; days: number; reason: string; index: IndexDays | null };

/** One day's index: the companies it names, no file, or a failure after the retries. */
type IndexAnswer = { kind: 'read'; changed: Set<number> } | { kind: 'absent' } | { kind: 'failed'; error: SourceError };

/**
 * Which companies filed since the last successful run, from EDGAR's daily indexes: one request a
 * business day for the whole market instead of one per company. A day whose index is not published
 * yet is left for the next night, which starts its days there (`sync_runs.index_missing_days`).
 * Without a previous success, after a long gap, or when an index is damaged or cannot be had, every
 * company is checked through its submissions, and the reason is reported.
 */
export async function detectChanges(sec: SecSource, store: Store, now: Date, log: (message: string) => void): Promise<ChangeDetection> {
  const last = await store.lastCompletedRun();
  if (last === null) return { path: 'per-company', changed: null, days: 0, reason: 'no completed run yet', index: null };
  const days = indexDaysSince(last.startedAt, now, last.indexMissingDays);
  if (days.length > MAX_INDEX_DAYS) {
    const since = last.indexMissingDays.length > 0 ? `, from ${isoDay(days[0] as Date)}, the first day whose index was not published then` : '';
    return { path: 'per-company', changed: null, days: 0, reason: `last completed run was ${days.length} business days ago${since}`, index: null };
  }
  const changed = new Set<number>();
  const read: string[] = [];
  const absent: string[] = [];
  for (const day of days) {
    const path = dailyIndexPath(day);
    const answer = await readIndex(sec, path);
    if (answer.kind === 'read') {
      read.push(isoDay(day));
      for (const cik of answer.changed) changed.add(cik);
    } else if (answer.kind === 'absent') {
      absent.push(isoDay(day));
    } else {
      const damaged = answer.error.type === 'invalid_json';
      const attempts = answer.error.attempts > 1 ? `, ${answer.error.attempts} attempts` : '';
      const reason = `daily index ${path} ${damaged ? 'damaged' : 'unavailable'} (${answer.error.message}${attempts})`;
      log(`${reason}; checking every company's filings instead`);
      // Every company is checked tonight: no day is left for the next night.
      const index = { read, noFile: classifyAbsentDays(absent, read).noFile, missing: [], damaged: damaged ? [isoDay(day)] : [] };
      return { path: 'per-company', changed: null, days: days.length, reason, index };
    }
  }
  const { noFile, notPublished } = classifyAbsentDays(absent, read);
  return { path: 'daily-index', changed, days: days.length, reason: null, index: { read, noFile, missing: notPublished, damaged: [] } };
}

async function readIndex(sec: SecSource, path: string): Promise<IndexAnswer> {
  try {
    const index = await sec.fetchDailyIndex(path);
    return index.kind === 'data' ? { kind: 'read', changed: changedCompanies(parseMasterIndex(index.body)) } : { kind: 'absent' };
  } catch (error) {
    // SEC's archives answer 403, not 404, for a file they do not hold: an index not published yet,
    // a holiday's. (A User-Agent SEC refuses is refused on the night's other SEC requests too, and
    // those abort it; an index never read stays missing until every company is checked.)
    if (error instanceof SourceError && error.type === 'forbidden') return { kind: 'absent' };
    if (error instanceof SourceError && !error.fatal) return { kind: 'failed', error };
    throw error;
  }
}
