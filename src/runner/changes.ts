import { changedCompanies, dailyIndexPath, indexDaysSince, parseMasterIndex } from '../extract/daily-index.js';
import type { Db } from '../db/open-database.js';
import type { SecSource } from '../sources/sec.js';

/** The most days a night catches up through daily indexes; beyond that each company is checked. */
const MAX_INDEX_DAYS = 31;

/** How an incremental night learned which companies filed. */
export type ChangeDetection = { path: 'daily-index'; changed: Set<number>; days: number; reason: null } | { path: 'per-company'; changed: null; days: number; reason: string };

/**
 * Which companies filed since the last successful run, from EDGAR's daily indexes: one request a
 * business day for the whole market instead of one per company. Without a previous success, after
 * a long gap, or when an index cannot be had, every company is checked through its submissions,
 * and the reason is reported.
 */
export async function detectChanges(sec: SecSource, db: Db, now: Date, log: (message: string) => void): Promise<ChangeDetection> {
  const last = db.prepare("SELECT started_at FROM sync_runs WHERE status = 'completed' ORDER BY id DESC LIMIT 1").get() as { started_at: string } | undefined;
  if (last === undefined) return { path: 'per-company', changed: null, days: 0, reason: 'no completed run yet' };
  const days = indexDaysSince(new Date(last.started_at), now);
  if (days.length > MAX_INDEX_DAYS) return { path: 'per-company', changed: null, days: 0, reason: `last completed run was ${days.length} business days ago` };
  const changed = new Set<number>();
  for (const day of days) {
    const path = dailyIndexPath(day);
    try {
      const index = await sec.fetchDailyIndex(path);
      if (index.kind !== 'data') continue; // a holiday: no filings, no file
      for (const cik of changedCompanies(parseMasterIndex(index.body))) changed.add(cik);
    } catch (error) {
      if ((error as { fatal?: boolean }).fatal === true) throw error;
      const reason = `daily index ${path} unavailable (${(error as Error).message})`;
      log(`${reason}; checking every company's filings instead`);
      return { path: 'per-company', changed: null, days: days.length, reason };
    }
  }
  return { path: 'daily-index', changed, days: days.length, reason: null };
}
