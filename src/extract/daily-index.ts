import type { IndexLine } from '../sources/schemas/daily-index.js';

/**
 * Which companies filed, from EDGAR's index files (daily `master.YYYYMMDD.idx`; the layout and its
 * variants are read by the DAILY_INDEX kind), and which days' indexes a night reads.
 */

export interface IndexEntry {
  cik: number;
  company: string;
  form: string;
  /** ISO date (YYYY-MM-DD). */
  filed: string;
  /** Accession number from the file name (`edgar/data/320193/0000320193-24-000123.txt`). */
  accession: string | null;
}

/** Forms after which a company's fundamentals or filings list change. */
const FUNDAMENTAL_FORMS: ReadonlySet<string> = new Set(['10-K', '10-Q', '10-KT', '10-QT', '20-F', '40-F', '6-K']);

export function isFundamentalForm(form: string): boolean {
  return FUNDAMENTAL_FORMS.has(form.replace(/\/A$/, ''));
}

/** The filings of an index's lines (checked and cut into cells by the DAILY_INDEX kind). */
export function parseMasterIndex(lines: readonly IndexLine[]): IndexEntry[] {
  return lines.flatMap((line) => {
    const cik = Number(line.cik);
    // The schema let through digits only; a CIK of 0 is still no company.
    if (cik <= 0) return [];
    const accession = /(\d{10}-\d{2}-\d{6})\.txt$/.exec(line.file)?.[1] ?? null;
    return [{ cik, company: line.company, form: line.form, filed: toIsoDate(line.filed), accession }];
  });
}

/** CIKs with a new 10-K, 10-Q, 20-F, 40-F, 6-K (or an amendment) in the index. */
export function changedCompanies(entries: IndexEntry[]): Set<number> {
  return new Set(entries.filter((entry) => isFundamentalForm(entry.form)).map((entry) => entry.cik));
}

/** YYYYMMDD (daily indexes) as YYYY-MM-DD (the quarterly ones' form). */
function toIsoDate(value: string): string {
  return /^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}` : value;
}

/** The daily index path for a day: `2026/QTR4/master.20261124.idx`. */
export function dailyIndexPath(day: Date): string {
  const year = day.getUTCFullYear();
  const month = day.getUTCMonth() + 1;
  const stamp = `${year}${String(month).padStart(2, '0')}${String(day.getUTCDate()).padStart(2, '0')}`;
  return `${year}/QTR${Math.ceil(month / 3)}/master.${stamp}.idx`;
}

/**
 * The business days whose index a night must read: every weekday from the day before the last
 * successful run's start (read again, in case it was published after that run read it), or from
 * the earliest day that run found not yet published (`missing`, YYYY-MM-DD) when that is earlier,
 * up to yesterday, as calendar days in New York, where EDGAR publishes. Holidays have no file.
 */
export function indexDaysSince(lastSuccess: Date, now: Date, missing: readonly string[] = []): Date[] {
  const days: Date[] = [];
  const first = startOfEdgarDay(lastSuccess);
  first.setUTCDate(first.getUTCDate() - 1);
  for (const day of missing) {
    const date = new Date(`${day}T00:00:00Z`);
    if (/^\d{4}-\d{2}-\d{2}$/.test(day) && date < first) first.setTime(date.getTime());
  }
  const last = startOfEdgarDay(now);
  last.setUTCDate(last.getUTCDate() - 1);
  for (const day = first; day <= last; day.setUTCDate(day.getUTCDate() + 1)) {
    const weekday = day.getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(new Date(day));
  }
  return days;
}

/** A day of indexDaysSince as YYYY-MM-DD. */
export function isoDay(day: Date): string {
  return day.toISOString().slice(0, 10);
}

/**
 * What the days without a file (403 or 404: SEC's archives answer 403 for a file they do not hold)
 * mean. EDGAR publishes each business day's index that evening, in order: a day without a file
 * before a day that was read never gets one (a holiday, EDGAR closed), one after the last day read
 * may just not be out yet, and is read again the next night.
 */
export function classifyAbsentDays(absent: readonly string[], read: readonly string[]): { noFile: string[]; notPublished: string[] } {
  const lastRead = read.reduce<string | null>((latest, day) => (latest === null || day > latest ? day : latest), null);
  return {
    noFile: absent.filter((day) => lastRead !== null && day < lastRead),
    notPublished: absent.filter((day) => lastRead === null || day > lastRead),
  };
}

/** Midnight UTC of the calendar date that `instant` has in New York. */
function startOfEdgarDay(instant: Date): Date {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
  return new Date(`${parts}T00:00:00Z`);
}
