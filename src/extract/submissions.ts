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
 * Reads SEC's submissions JSON. `filings.recent` is a set of parallel column arrays; a column
 * shorter than `accessionNumber` (seen in damaged mirrors) yields nulls, not a crash.
 */
export function extractSubmissions(submissions: unknown, fallbackCik: number): SubmissionsExtract {
  const root = asRecord(submissions);
  const cik = toCik(root.cik) ?? fallbackCik;
  const profile: CompanyProfile = {
    cik,
    name: asString(root.name),
    sic: asString(root.sic),
    industry: asString(root.sicDescription),
    fiscal_year_end: asString(root.fiscalYearEnd),
    tickers: asStringArray(root.tickers),
    exchanges: asStringArray(root.exchanges),
  };
  const filingsNode = asRecord(root.filings);
  const filings = extractFilingColumns(filingsNode.recent, cik);
  const olderPages = Array.isArray(filingsNode.files)
    ? filingsNode.files.map((file) => asString(asRecord(file).name)).filter((name): name is string => name !== null)
    : [];
  return { profile, filings, olderPages };
}

/** Turns one page's column arrays (`recent`, or an older page's top level) into filing rows. */
export function extractFilingColumns(columnsNode: unknown, cik: number): FilingRow[] {
  const columns = asRecord(columnsNode);
  const accessions = Array.isArray(columns.accessionNumber) ? columns.accessionNumber : [];
  const column = (name: string, index: number): string | null => {
    const values = columns[name];
    return Array.isArray(values) ? asString(values[index]) : null;
  };
  const rows: FilingRow[] = [];
  accessions.forEach((accession, index) => {
    const accessionNumber = asString(accession);
    const form = column('form', index);
    const filingDate = column('filingDate', index);
    if (accessionNumber === null || form === null || filingDate === null || !isPeriodicForm(form)) return;
    rows.push({
      accession_number: accessionNumber,
      cik,
      form,
      filing_date: filingDate,
      report_date: column('reportDate', index),
      acceptance_datetime: column('acceptanceDateTime', index),
      primary_document: column('primaryDocument', index),
      primary_doc_description: column('primaryDocDescription', index),
    });
  });
  return rows;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Empty strings stand for "none" in SEC's columns (reportDate of an 8-K, for one). */
function asString(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

function asStringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.map(asString).filter((item): item is string => item !== null) : [];
}

/** `cik` is a zero-padded string in submissions and a number elsewhere. */
function toCik(value: unknown): number | null {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number > 0 ? number : null;
}
