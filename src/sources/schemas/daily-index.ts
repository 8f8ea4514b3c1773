import { z } from 'zod';
import { textKind } from '../response-kind.js';

/*
 * EDGAR's index files (daily `master.YYYYMMDD.idx`, and the quarterly xbrl/master indexes, same
 * layout): a free-text header, a `CIK|Company Name|Form Type|Date Filed|File Name` line, a dashed
 * rule, then one filing a line. Copies differ in line endings (LF, CRLF, bare CR) and in the date
 * format (YYYYMMDD daily, YYYY-MM-DD quarterly). The text is cut into its filing lines, and those
 * are checked like a JSON body: a page that is no index (an error page served with 200) or a line
 * that is no filing fails as `malformed`, where it would otherwise read as "nobody filed".
 */

const HEADER = 'CIK|Company Name|Form Type|Date Filed|File Name';
/** Daily indexes say "File Name", the quarterly xbrl ones "Filename". */
const HEADER_PATTERN = /^CIK\|Company Name\|Form Type\|Date Filed\|File ?Name$/i;

const LINE = z.object({
  // Counted first, so a line cut short is named as such rather than by its first missing cell.
  cells: z.literal(5, { error: 'expected 5 cells separated by "|"' }),
  cik: z.string().regex(/^\d{1,10}$/, { error: 'expected a CIK (digits)' }),
  company: z.string(),
  form: z.string().min(1, { error: 'expected a form type' }),
  filed: z.string().regex(/^(?:\d{8}|\d{4}-\d{2}-\d{2})$/, { error: 'expected a YYYYMMDD or YYYY-MM-DD date' }),
  file: z.string(),
});

const NO_HEADER = `no "${HEADER}" line: not an EDGAR index`;
/** The header, then the filing lines keyed `line N` (N counted from 1 in the file), so a broken one is named by its line. */
const INDEX = z.object({ header: z.string({ error: NO_HEADER }).regex(HEADER_PATTERN, { error: NO_HEADER }) }).catchall(LINE);

/** One filing line of an index, its cells trimmed. */
export interface IndexLine {
  cik: string;
  company: string;
  form: string;
  /** YYYYMMDD (daily indexes) or YYYY-MM-DD (quarterly ones). */
  filed: string;
  file: string;
}

/** The header line (when there is one), then every line after the dashed rule under it as named cells; blank lines skipped. */
function indexLines(text: string): Record<string, unknown> {
  const lines = text.split(/\r\n|\r|\n/);
  const header = lines.findIndex((line) => line.startsWith('CIK|'));
  if (header < 0) return {};
  const records: Record<string, unknown> = { header: (lines[header] as string).trim() };
  const first = lines[header + 1]?.startsWith('---') === true ? header + 2 : header + 1;
  for (let index = first; index < lines.length; index += 1) {
    const line = lines[index] as string;
    if (line.trim() === '') continue;
    const cells = line.split('|').map((cell) => cell.trim());
    records[`line ${index + 1}`] = { cells: cells.length, cik: cells[0], company: cells[1], form: cells[2], filed: cells[3], file: cells[4] };
  }
  return records;
}

/** An EDGAR index file, as its filing lines in file order. */
export const DAILY_INDEX = textKind('daily index', 'latin1', indexLines, INDEX, (records): IndexLine[] =>
  Object.entries(records).flatMap(([key, line]) =>
    key === 'header' || typeof line === 'string' ? [] : [{ cik: line.cik, company: line.company, form: line.form, filed: line.filed, file: line.file }],
  ),
);
