/*
 * SEC's nightly bulk archives, and what the report says of reading them. The rebuild itself is in
 * bulk.ts; the stand-in serves the same paths.
 */

/** The archives, in the order they are read. */
export const BULK_ARCHIVES = [
  { name: 'companyfacts.zip', path: 'Archives/edgar/daily-index/xbrl/companyfacts.zip', kind: 'facts' },
  { name: 'submissions.zip', path: 'Archives/edgar/daily-index/bulkdata/submissions.zip', kind: 'submissions' },
] as const;

export type ArchiveKind = (typeof BULK_ARCHIVES)[number]['kind'];

/** What the report says of one archive. */
export interface ArchiveFigures {
  name: string;
  bytes: number;
  total_bytes: number | null;
  resumes: number;
  /** Entries of the universe's companies extracted and stored. */
  entries_used: number;
  seconds: number;
  /** Why the archive was not read to its end (the companies not reached are refreshed per company). */
  error: string | null;
}

/** How a bulk rebuild went, for the report. */
export interface BulkFigures {
  reason: string;
  archives: ArchiveFigures[];
  extraction_seconds: number;
  /** Stocks refreshed one by one because an archive did not reach their company, or was not published. */
  fallback_stocks: number;
  note: string | null;
}

/** `CIK0000320193.json` → 320193; `CIK0000320193-submissions-001.json` → 320193, an older page. */
export function cikOfEntry(name: string): { cik: number; page: boolean } | null {
  const match = /^(?:.*\/)?CIK(\d{10})(-submissions-\d{3})?\.json$/.exec(name);
  return match === null ? null : { cik: Number(match[1]), page: match[2] !== undefined };
}
