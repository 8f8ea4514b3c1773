import { z } from 'zod';
import { jsonKind } from '../response-kind.js';

/*
 * SEC's submissions (`/submissions/CIK##########.json`, its older pages
 * `CIK##########-submissions-001.json`, and the same entries of the bulk submissions.zip). Filings
 * come as parallel column arrays. Only the columns and profile fields extraction reads are
 * declared; SEC fills a column cell it has nothing for with "" (reportDate of an 8-K), which is a
 * string like any other here and "none" to extraction.
 */

const strings = z.array(z.string());

/** One page of filings: `filings.recent`, or an older page as a whole. */
const FILING_COLUMNS_SCHEMA = z.looseObject({
  accessionNumber: strings,
  filingDate: strings,
  form: strings,
  reportDate: strings.optional(),
  acceptanceDateTime: strings.optional(),
  primaryDocument: strings.optional(),
  primaryDocDescription: strings.optional(),
});

const SUBMISSIONS_SCHEMA = z.looseObject({
  // A zero-padded string here ("0000320193"), a number in SEC's other files.
  cik: z.union([z.string(), z.number()], { error: 'expected string or number' }),
  name: z.string().nullish(),
  sic: z.string().nullish(),
  sicDescription: z.string().nullish(),
  fiscalYearEnd: z.string().nullish(),
  tickers: z.array(z.string()).optional(),
  exchanges: z.array(z.string().nullable()).optional(),
  filings: z.looseObject({
    recent: FILING_COLUMNS_SCHEMA,
    /** The older pages, each a further page of columns. */
    files: z.array(z.looseObject({ name: z.string() })).optional(),
  }),
});

/** A page of filings as parallel columns, indexed by row. */
export type FilingColumns = z.output<typeof FILING_COLUMNS_SCHEMA>;
/** A company's submissions: its profile and its newest filings. */
export type Submissions = z.output<typeof SUBMISSIONS_SCHEMA>;

/** submissions, per company and in the bulk archive. */
export const SUBMISSIONS = jsonKind('submissions', SUBMISSIONS_SCHEMA);
/** An older page of a company's submissions (`filings.files`), per company and in the bulk archive. */
export const SUBMISSIONS_PAGE = jsonKind('submissions page', FILING_COLUMNS_SCHEMA);
