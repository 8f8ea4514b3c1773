import { extractEarningsHistory } from '../extract/companyfacts.js';
import { extractFilingColumns, extractSubmissions } from '../extract/submissions.js';
import type { CompanyProfile, EarningsRow, FilingRow } from '../extract/types.js';
import type { StoredStockState } from '../db/stock-store.js';
import type { SecSource } from '../sources/sec.js';

/** What SEC gave for one company (CIK), shared by all its listings (BRK-A and BRK-B). */
export interface CompanyData {
  /** Both SEC endpoints answered 404: SEC has nothing for this CIK. */
  noData: boolean;
  profile?: CompanyProfile;
  filings?: FilingRow[];
  earnings?: EarningsRow[];
  latestAccession: string | null;
  /** Incremental night: nothing filed since the last refresh and the data is recent; companyfacts not fetched. */
  unchanged: boolean;
  fundamentalsRefreshed: boolean;
}

export interface CompanyFetchOptions {
  forceRefresh: boolean;
  refetchThresholdMs: number;
  now: () => Date;
}

/**
 * Fetches a company's submissions, then (unless an incremental night finds nothing new) its
 * companyfacts. Each raw body is parsed once and reduced to rows at once, so no parsed
 * companyfacts outlives this call.
 */
export async function fetchCompanyData(
  sec: SecSource,
  cik: number,
  stored: StoredStockState | undefined,
  options: CompanyFetchOptions,
): Promise<CompanyData> {
  const submissions = await sec.fetchSubmissions(cik);
  const extracted = submissions.kind === 'data' ? extractSubmissions(submissions.json, cik) : undefined;
  const latestAccession = extracted?.filings[0]?.accession_number ?? null;
  // `recent` holds the newest 1,000 filings of any form; the rest of the history is in older pages,
  // fetched once, when the company is new to the database (later nights only add new filings).
  if (extracted !== undefined && extracted.olderPages.length > 0 && stored?.last_filing_accession == null) {
    for (const page of extracted.olderPages) {
      const older = await sec.fetchSubmissionsPage(page);
      if (older.kind === 'data') extracted.filings.push(...extractFilingColumns(older.json, cik));
    }
  }
  if (!options.forceRefresh && stored !== undefined && isUnchanged(stored, latestAccession, options)) {
    return { noData: false, ...(extracted ? { profile: extracted.profile } : {}), latestAccession, unchanged: true, fundamentalsRefreshed: false };
  }
  const facts = await sec.fetchCompanyFacts(cik);
  const earnings = facts.kind === 'data' ? extractEarningsHistory(facts.json) : undefined;
  return {
    noData: submissions.kind === 'not_found' && facts.kind === 'not_found',
    ...(extracted ? { profile: extracted.profile, filings: extracted.filings } : {}),
    ...(earnings ? { earnings } : {}),
    latestAccession,
    unchanged: false,
    fundamentalsRefreshed: true,
  };
}

function isUnchanged(stored: StoredStockState, latestAccession: string | null, options: CompanyFetchOptions): boolean {
  if (stored.fundamentals_updated_at === null || stored.last_filing_accession !== latestAccession) return false;
  const age = options.now().getTime() - Date.parse(stored.fundamentals_updated_at);
  return Number.isFinite(age) && age < options.refetchThresholdMs;
}

/**
 * One fetch per CIK per pass, however many listings share it. An entry is dropped once its last
 * listing is done, so memory holds only the companies in flight.
 */
export class CompanyCache {
  private readonly pending = new Map<number, { promise?: Promise<CompanyData>; remaining: number }>();

  constructor(private readonly load: (cik: number) => Promise<CompanyData>) {}

  /** Declares how many listings of each CIK this pass will ask for. */
  expect(ciks: Iterable<number>): void {
    this.pending.clear();
    for (const cik of ciks) {
      const entry = this.pending.get(cik);
      if (entry) entry.remaining += 1;
      else this.pending.set(cik, { remaining: 1 });
    }
  }

  get(cik: number): Promise<CompanyData> {
    let entry = this.pending.get(cik);
    if (!entry) {
      entry = { remaining: 1 };
      this.pending.set(cik, entry);
    }
    if (entry.promise === undefined) {
      entry.promise = this.load(cik);
      // The rejection is handled by each caller; this keeps an unawaited copy from being "unhandled".
      entry.promise.catch(() => undefined);
    }
    return entry.promise;
  }

  /** Marks one listing of `cik` done. */
  release(cik: number): void {
    const entry = this.pending.get(cik);
    if (!entry) return;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.pending.delete(cik);
  }

  get size(): number {
    return this.pending.size;
  }
}
