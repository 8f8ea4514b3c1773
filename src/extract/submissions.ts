import type { FilingColumns, Submissions } from '../sources/schemas/submissions.js';
import type { CompanyProfile, FilingRow } from './types.js';

/** Periodic reports kept in `sec_filings`: annual and quarterly reports and their amendments. */
const PERIODIC_FORMS: ReadonlySet<string> = new Set(['10-K', '10-Q', '10-KT', '10-QT', '20-F', '40-F']);

export function isPeriodicForm(form: string): boolean {
  return PERIODIC_FORMS.has(form.replace(/\/A$/, ''));
}

export interface SubmissionsExtract {
  profile: CompanyProfile;
  /** Periodic filings, newest first, from `filings.recent`. */
  filings: FilingRow[];
  /** Names of the older pages listed in `filings.files` (each a further submissions JSON). */
  olderPages: string[];
}

/**
 * Reads a submissions body (checked by the SUBMISSIONS kind). `filings.recent` is a set of parallel
 * column arrays; a column shorter than `accessionNumber` (seen in damaged mirrors) yields nulls.
 */
export function extractSubmissions(submissions: Submissions, fallbackCik: number): SubmissionsExtract {
  const cik = toCik(submissions.cik) ?? fallbackCik;
  const profile: CompanyProfile = {
    cik,
    name: orNull(submissions.name),
    sic: orNull(submissions.sic),
    industry: orNull(submissions.sicDescription),
    fiscal_year_end: orNull(submissions.fiscalYearEnd),
    tickers: present(submissions.tickers),
    exchanges: present(submissions.exchanges),
  };
  const filings = extractFilingColumns(submissions.filings.recent, cik);
  const olderPages = present((submissions.filings.files ?? []).map((file) => file.name));
  return { profile, filings, olderPages };
}

/** Turns one page's column arrays (`recent`, or an older page's top level) into filing rows of periodic forms. */
export function extractFilingColumns(columns: FilingColumns, cik: number): FilingRow[] {
  const cell = (values: readonly string[] | undefined, index: number): string | null => orNull(values?.[index]);
  const rows: FilingRow[] = [];
  columns.accessionNumber.forEach((accession, index) => {
    const accessionNumber = orNull(accession);
    const form = cell(columns.form, index);
    const filingDate = cell(columns.filingDate, index);
    if (accessionNumber === null || form === null || filingDate === null || !isPeriodicForm(form)) return;
    rows.push({
      accession_number: accessionNumber,
      cik,
      form,
      filing_date: filingDate,
      report_date: cell(columns.reportDate, index),
      acceptance_datetime: cell(columns.acceptanceDateTime, index),
      primary_document: cell(columns.primaryDocument, index),
      primary_doc_description: cell(columns.primaryDocDescription, index),
    });
  });
  return rows;
}

/** SEC's "" (and blanks) mean "none". */
function orNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value.trim() === '' ? null : value;
}

function present(values: readonly (string | null)[] | undefined): string[] {
  return (values ?? []).map(orNull).filter((value): value is string => value !== null);
}

/** `cik` is a zero-padded string in submissions and a number elsewhere. */
function toCik(value: string | number): number | null {
  const number = typeof value === 'string' ? Number(value) : value;
  return Number.isInteger(number) && number > 0 ? number : null;
}
