import { z } from 'zod';
import { textKind } from '../response-kind.js';

/*
 * EDGAR's index files (daily `master.YYYYMMDD.idx`, and the quarterly xbrl/master indexes, same
 * layout): a free-text header, a `CIK|Company Name|Form Type|Date Filed|File Name` line, a dashed
 * rule, then one filing a line. Copies differ in line endings (LF, CRLF, bare CR) and in the date
 * format (YYYYMMDD daily, YYYY-MM-DD quarterly). The text is cut into its filing lines, and those
 * are checked like a JSON body: a page that is no index (an error page served with 200), a text
 * cut short (Node's fetch takes a gzip stream that stops early as whole, so the text is checked to
 * end with a line end) or a line that is no filing fails, where it would otherwise read as "nobody
 * filed" or lose the filings of the lines cut off. Such a text is taken as damaged on the way (an
 * error page, a cut: most are) rather than as a changed layout: `invalid_json`, retried like a
 * truncated JSON body; one that stays damaged sends the night to every company (runner/changes.ts).
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
/**
 * The header, the dashed rule under it, whether the text ends with a line end, then the filing lines
 * keyed `line N` (N counted from 1 in the file), so a broken one is named by its line. A text cut
 * after its last whole line cannot be told from a whole one; a cut anywhere else can. Without a
 * header line there is no `end` or `rule`: the missing header alone is named.
 */
const INDEX = z
  .object({
    end: z.literal(true, { error: 'the text stops in the middle of a line: cut short' }).optional(),
    header: z.string({ error: NO_HEADER }).regex(HEADER_PATTERN, { error: NO_HEADER }),
    rule: z.literal(true, { error: 'no dashed rule under the header line: cut short or not an EDGAR index' }).optional(),
  })
  .catchall(LINE);

/** One filing line of an index, its cells trimmed. */
export interface IndexLine {
  cik: string;
  company: string;
  form: string;
  /** YYYYMMDD (daily indexes) or YYYY-MM-DD (quarterly ones). */
  filed: string;
  file: string;
}

/**
 * The header line (when there is one: otherwise nothing else is worth naming), whether the text
 * ends with a line end and has the dashed rule, then every line after the rule as named cells;
 * blank lines skipped.
 */
function indexLines(text: string): Record<string, unknown> {
  const lines = text.split(/\r\n|\r|\n/);
  const header = lines.findIndex((line) => line.startsWith('CIK|'));
  if (header < 0) return {};
  const ruled = lines[header + 1]?.startsWith('---') === true;
  // The last line split off is '' when the text ends with its line end, as EDGAR's files do.
  const records: Record<string, unknown> = { end: lines.at(-1) === '', header: (lines[header] as string).trim(), rule: ruled };
  const first = ruled ? header + 2 : header + 1;
  for (let index = first; index < lines.length; index += 1) {
    const line = lines[index] as string;
    if (line.trim() === '') continue;
    const cells = line.split('|').map((cell) => cell.trim());
    records[`line ${index + 1}`] = { cells: cells.length, cik: cells[0], company: cells[1], form: cells[2], filed: cells[3], file: cells[4] };
  }
  return records;
}

/** An EDGAR index file, as its filing lines in file order. */
export const DAILY_INDEX = textKind(
  'daily index',
  'latin1',
  indexLines,
  INDEX,
  (records): IndexLine[] =>
    Object.entries(records).flatMap(([key, line]) =>
      !key.startsWith('line ') || typeof line !== 'object' ? [] : [{ cik: line.cik, company: line.company, form: line.form, filed: line.filed, file: line.file }],
    ),
  { damagedInTransit: true },
);
