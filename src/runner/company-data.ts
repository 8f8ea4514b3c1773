import { extractCompanyFacts } from '../extract/companyfacts.js';
import { extractFilingSections, type FilingSection } from '../extract/filing-sections.js';
import { extractFilingColumns, extractSubmissions } from '../extract/submissions.js';
import type { CompanyFactsExtract, CompanyProfile, FilingRow } from '../extract/types.js';
import { SourceError } from '../errors.js';
import type { StoredStockState } from '../db/stock-store.js';
import type { SecSource } from '../sources/sec.js';
import type { Validators } from '../sources/source-client.js';

/** What SEC gave for one company (CIK), shared by all its listings (BRK-A and BRK-B). */
export interface CompanyData {
  /** Both SEC endpoints answered 404: SEC has nothing for this CIK. */
  noData: boolean;
  profile?: CompanyProfile;
  filings?: FilingRow[];
  facts?: CompanyFactsExtract;
  /** Items 1, 1A, 7, 7A of the latest 10-K, when asked for and not stored yet. */
  sections?: { accession: string; sections: FilingSection[] };
  /** The 10-K document could not be had: the stock fails with this, the rest is stored. */
  sectionsError?: SourceError;
  latestAccession: string | null;
  /** Validators of the bodies fetched, stored with the stock for the next conditional request. */
  validators?: ({ url: string } & Validators)[];
  /** Incremental night: nothing filed since the last refresh and the data is recent; companyfacts not fetched. */
  unchanged: boolean;
  fundamentalsRefreshed: boolean;
}

export interface CompanyFetchOptions {
  forceRefresh: boolean;
  refetchThresholdMs: number;
  now: () => Date;
  /** processing.fetch_filing_sections: the accessions whose sections are stored already. */
  sections: { has: (accession: string) => boolean } | null;
  /** Incremental nights with the daily index: the CIKs that filed since the last run. */
  changed: Set<number> | null;
  /** ETag / Last-Modified stored from earlier answers, by URL (used on incremental nights). */
  validators: Map<string, Validators>;
}

/**
 * Fetches a company's submissions, then (unless an incremental night finds nothing new) its
 * companyfacts. Each body arrives checked and typed (its kind in src/sources/schemas/), is
 * extracted once and reduced to rows at once, so no parsed companyfacts outlives this call. A
 * companyfacts fact that breaks its schema is found as extraction reads it, and fails the company
 * as `malformed` like a body that broke it on arrival.
 */
export async function fetchCompanyData(sec: SecSource, cik: number, stored: StoredStockState | undefined, options: CompanyFetchOptions): Promise<CompanyData> {
  // The daily index says this company filed nothing: no request at all, unless its data is old.
  if (!options.forceRefresh && options.changed !== null && stored !== undefined && !options.changed.has(cik) && isFresh(stored, options)) {
    return { noData: false, latestAccession: stored.last_filing_accession, unchanged: true, fundamentalsRefreshed: false };
  }
  // Incremental nights ask conditionally: a 304 costs a request but no body and no parsing.
  const validatorsOf = (url: string): Validators | undefined => (options.forceRefresh || stored === undefined ? undefined : options.validators.get(url));
  const saved: CompanyData['validators'] = [];
  const submissionsUrl = sec.submissionsUrl(cik);
  const submissions = await sec.fetchSubmissions(cik, validatorsOf(submissionsUrl));
  if (submissions.kind === 'data') saved.push({ url: submissionsUrl, ...submissions.validators });
  const extracted = submissions.kind === 'data' ? extractSubmissions(submissions.body, cik) : undefined;
  const latestAccession = submissions.kind === 'not_modified' ? (stored?.last_filing_accession ?? null) : (extracted?.filings[0]?.accession_number ?? null);
  // `recent` holds the newest 1,000 filings of any form; the rest of the history is in older pages,
  // fetched once, when the company is new to the database (later nights only add new filings).
  if (extracted !== undefined && extracted.olderPages.length > 0 && stored?.last_filing_accession == null) {
    for (const page of extracted.olderPages) {
      const older = await sec.fetchSubmissionsPage(page);
      if (older.kind === 'data') extracted.filings.push(...extractFilingColumns(older.body, cik));
    }
  }
  if (!options.forceRefresh && stored !== undefined && isUnchanged(stored, latestAccession, options)) {
    return { noData: false, ...(extracted ? { profile: extracted.profile } : {}), latestAccession, unchanged: true, fundamentalsRefreshed: false, validators: saved };
  }
  const factsUrl = sec.companyFactsUrl(cik);
  const factsResponse = await sec.fetchCompanyFacts(cik, validatorsOf(factsUrl));
  if (factsResponse.kind === 'data') saved.push({ url: factsUrl, ...factsResponse.validators });
  const facts = factsResponse.kind === 'data' ? extractCompanyFacts(factsResponse.body) : undefined;
  const sections = options.sections !== null && extracted !== undefined ? await fetchLatestSections(sec, cik, extracted.filings, options.sections) : {};
  return {
    noData: submissions.kind === 'not_found' && factsResponse.kind === 'not_found',
    ...(extracted ? { profile: extracted.profile, filings: extracted.filings } : {}),
    ...(facts ? { facts } : {}),
    ...sections,
    latestAccession,
    // No new filing, and the facts "not modified" since stored (a stale company re-checked).
    unchanged: factsResponse.kind === 'not_modified' && latestAccession === stored?.last_filing_accession,
    fundamentalsRefreshed: true,
    validators: saved,
  };
}

/**
 * The latest 10-K's Items 1, 1A, 7 and 7A, fetched only when that 10-K is newer than what is
 * stored (its accession has no sections yet).
 */
export async function fetchLatestSections(
  sec: SecSource,
  cik: number,
  filings: FilingRow[],
  stored: { has: (accession: string) => boolean },
): Promise<Pick<CompanyData, 'sections' | 'sectionsError'>> {
  const latest = filings.find((filing) => filing.form === '10-K' && filing.primary_document !== null);
  if (latest === undefined || stored.has(latest.accession_number)) return {};
  try {
    const document = await sec.fetchFilingDocument(cik, latest.accession_number, latest.primary_document as string);
    if (document.kind === 'not_found') return {};
    return { sections: { accession: latest.accession_number, sections: extractFilingSections(document.text) } };
  } catch (error) {
    const sourceError = error instanceof SourceError ? error : new SourceError('unexpected_response', (error as Error).message);
    if (sourceError.fatal) throw sourceError;
    sourceError.message = `10-K ${latest.accession_number}: ${sourceError.message}`;
    return { sectionsError: sourceError };
  }
}

function isUnchanged(stored: StoredStockState, latestAccession: string | null, options: CompanyFetchOptions): boolean {
  return stored.last_filing_accession === latestAccession && isFresh(stored, options);
}

/** Fundamentals fetched within refetch_threshold_days. */
function isFresh(stored: StoredStockState, options: CompanyFetchOptions): boolean {
  if (stored.fundamentals_updated_at === null) return false;
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
