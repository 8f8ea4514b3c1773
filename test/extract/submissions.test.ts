import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, it, expect } from 'vitest';
import { extractFilingColumns, extractSubmissions, isPeriodicForm } from '../../src/extract/submissions.js';
import { SUBMISSIONS, SUBMISSIONS_PAGE, type FilingColumns, type Submissions } from '../../src/sources/schemas/submissions.js';
import { decodeJson, malformedMessage } from '../helpers/bodies.js';

/** The raw shape of the parts of SEC's submissions JSON the expectations are computed from. */
interface RawRecent {
  accessionNumber: string[];
  form: string[];
  filingDate: string[];
  reportDate: string[];
  acceptanceDateTime: string[];
  primaryDocument: string[];
  primaryDocDescription: string[];
}
interface RawSubmissions {
  cik: string;
  filings: { recent: RawRecent; files: { name: string }[] };
}

/** The bytes of a real submissions body from test/fixtures/sec (gunzipped; the file is SEC's JSON, unchanged). */
const submissionsBytes = (cik: string): Buffer => gunzipSync(readFileSync(new URL(`../fixtures/sec/submissions_CIK${cik}.json.gz`, import.meta.url)));

/** A real submissions body as raw JSON, for expectations computed independently of the extractor. */
function loadSubmissions(cik: string): RawSubmissions {
  return JSON.parse(submissionsBytes(cik).toString('utf8')) as RawSubmissions;
}

/** A real submissions body, decoded as it arrives (SUBMISSIONS). */
const decodeSubmissions = (cik: string): Submissions => SUBMISSIONS.decode(submissionsBytes(cik), `submissions_CIK${cik}.json`);

/** Hand-made filing columns, decoded as an older page arrives (SUBMISSIONS_PAGE). */
const columns = (value: unknown): FilingColumns => decodeJson(SUBMISSIONS_PAGE, value);

/** Indexes of `recent` rows whose form is exactly one of `forms`, read straight from the raw columns. */
function rawIndexes(recent: RawRecent, forms: readonly string[]): number[] {
  return recent.form.flatMap((form, index) => (forms.includes(form) ? [index] : []));
}

const apple = loadSubmissions('0000320193');
const tesla = loadSubmissions('0001318605');

describe('isPeriodicForm', () => {
  it.each([
    ['10-K', true],
    ['10-Q', true],
    ['10-K/A', true],
    ['10-Q/A', true],
    ['10-KT', true],
    ['10-KT/A', true],
    ['10-QT', true],
    ['20-F', true],
    ['20-F/A', true],
    ['40-F', true],
    ['40-F/A', true],
    ['8-K', false],
    ['8-K/A', false],
    ['4', false],
    ['4/A', false],
    ['144', false],
    ['DEF 14A', false],
    ['S-8', false],
    ['6-K', false],
    ['NT 10-K', false],
    ['', false],
  ])('%j -> %s', (form, expected) => {
    expect(isPeriodicForm(form)).toBe(expected);
  });
});

describe('extractSubmissions on Apple (CIK 320193, 1,005 recent rows, one older page)', () => {
  const extract = extractSubmissions(decodeSubmissions('0000320193'), 999);

  it('reads the profile, with the CIK parsed from the zero-padded string rather than the fallback', () => {
    expect(apple.cik).toBe('0000320193');
    expect(extract.profile).toEqual({
      cik: 320193,
      name: 'Apple Inc.',
      sic: '3571',
      industry: 'Electronic Computers',
      fiscal_year_end: '0926',
      tickers: ['AAPL'],
      exchanges: ['Nasdaq'],
    });
  });

  it('keeps only periodic forms: none of the 8-K, Form 4, 144, proxy, S-8 … rows', () => {
    expect(apple.filings.recent.form.length).toBe(1005);
    expect(extract.filings.length).toBeGreaterThan(0);
    for (const row of extract.filings) expect(isPeriodicForm(row.form)).toBe(true);
    const forms = new Set(extract.filings.map((row) => row.form));
    for (const excluded of ['8-K', '8-K/A', '4', '144', 'DEF 14A', 'S-8', '424B2', 'SD']) expect(forms.has(excluded)).toBe(false);
  });

  it('keeps every 10-K and 10-Q row of the raw columns (11 + 32), and nothing else', () => {
    const tenK = rawIndexes(apple.filings.recent, ['10-K']);
    const tenQ = rawIndexes(apple.filings.recent, ['10-Q']);
    expect([tenK.length, tenQ.length]).toEqual([11, 32]);
    expect(extract.filings.filter((row) => row.form === '10-K')).toHaveLength(tenK.length);
    expect(extract.filings.filter((row) => row.form === '10-Q')).toHaveLength(tenQ.length);
    // Apple's recent page has no other periodic form.
    expect(extract.filings).toHaveLength(tenK.length + tenQ.length);
  });

  it('maps each kept row to the raw columns of the same index, in file order (newest first)', () => {
    const recent = apple.filings.recent;
    const indexes = rawIndexes(recent, ['10-K', '10-Q']);
    expect(extract.filings.map((row) => row.accession_number)).toEqual(indexes.map((index) => recent.accessionNumber[index]));
    const dates = extract.filings.map((row) => row.filing_date);
    expect(dates).toEqual([...dates].sort().reverse());
    expect(extract.filings[0]).toEqual({
      accession_number: '0000320193-25-000079',
      cik: 320193,
      form: '10-K',
      filing_date: '2025-10-31',
      report_date: '2025-09-27',
      acceptance_datetime: '2025-10-31T10:01:26.000Z',
      primary_document: 'aapl-20250927.htm',
      primary_doc_description: '10-K',
    });
    expect(extract.filings.at(-1)?.filing_date).toBe('2015-04-28');
  });

  it('lists the older page named in filings.files', () => {
    expect(extract.olderPages).toEqual(['CIK0000320193-submissions-001.json']);
  });
});

describe('extractSubmissions on Tesla (CIK 1318605, with 10-K/A amendments)', () => {
  const extract = extractSubmissions(decodeSubmissions('0001318605'), 999);

  it('reads the profile', () => {
    expect(extract.profile).toEqual({
      cik: 1318605,
      name: 'Tesla, Inc.',
      sic: '3711',
      industry: 'Motor Vehicles & Passenger Car Bodies',
      fiscal_year_end: '1231',
      tickers: ['TSLA'],
      exchanges: ['Nasdaq'],
    });
  });

  it('keeps every 10-K, 10-Q and 10-K/A row of the raw columns (9 + 24 + 4), and nothing else', () => {
    const recent = tesla.filings.recent;
    const counts = ['10-K', '10-Q', '10-K/A'].map((form) => rawIndexes(recent, [form]).length);
    expect(counts).toEqual([9, 24, 4]);
    expect(['10-K', '10-Q', '10-K/A'].map((form) => extract.filings.filter((row) => row.form === form).length)).toEqual(counts);
    expect(extract.filings).toHaveLength(counts.reduce((sum, count) => sum + count, 0));
    expect(extract.filings.map((row) => row.accession_number)).toEqual(rawIndexes(recent, ['10-K', '10-Q', '10-K/A']).map((index) => recent.accessionNumber[index]));
  });

  it('keeps the 10-K/A of 2025-04-30 as its own row, after the 10-Q filed a week earlier in newest-first order', () => {
    const forms = extract.filings.map((row) => `${row.filing_date} ${row.form}`);
    const amendment = forms.indexOf('2025-04-30 10-K/A');
    expect(amendment).toBeGreaterThan(0);
    expect(forms[amendment + 1]).toBe('2025-04-23 10-Q');
    expect(extract.filings[amendment]).toEqual({
      accession_number: '0001104659-25-042659',
      cik: 1318605,
      form: '10-K/A',
      filing_date: '2025-04-30',
      report_date: '2024-12-31',
      acceptance_datetime: '2025-04-30T21:08:56.000Z',
      primary_document: 'tm252787d2_10ka.htm',
      primary_doc_description: 'FORM 10-K/A',
    });
  });

  it('lists the older page named in filings.files', () => {
    expect(extract.olderPages).toEqual(['CIK0001318605-submissions-001.json']);
  });
});

describe('extractFilingColumns on hand-made columns', () => {
  it('turns an empty reportDate into null and keeps a 10-K/A, a 20-F/A and a 10-KT', () => {
    const rows = extractFilingColumns(
      columns({
        accessionNumber: ['a-1', 'a-2', 'a-3', 'a-4', 'a-5'],
        form: ['10-K/A', '8-K', '20-F/A', '10-KT', '4'],
        filingDate: ['2024-05-01', '2024-04-01', '2024-03-01', '2024-02-01', '2024-01-01'],
        reportDate: ['', '2024-03-31', '2023-12-31', ' ', ''],
        acceptanceDateTime: ['2024-05-01T20:00:00.000Z', '', '', '', ''],
        primaryDocument: ['x10ka.htm', '', '', '', ''],
        primaryDocDescription: ['10-K/A', '', '', '', ''],
      }),
      42,
    );
    expect(rows.map((row) => [row.accession_number, row.form, row.report_date])).toEqual([
      ['a-1', '10-K/A', null],
      ['a-3', '20-F/A', '2023-12-31'],
      ['a-4', '10-KT', null],
    ]);
    expect(rows[0]).toEqual({
      accession_number: 'a-1',
      cik: 42,
      form: '10-K/A',
      filing_date: '2024-05-01',
      report_date: null,
      acceptance_datetime: '2024-05-01T20:00:00.000Z',
      primary_document: 'x10ka.htm',
      primary_doc_description: '10-K/A',
    });
    expect(rows[1]?.acceptance_datetime).toBeNull();
  });

  it('gives nulls for columns shorter than accessionNumber and skips rows missing form or filingDate', () => {
    const rows = extractFilingColumns(
      columns({
        accessionNumber: ['a-1', 'a-2', 'a-3'],
        form: ['10-Q', '10-K', '10-K'],
        filingDate: ['2024-05-01', '2024-04-01'],
        reportDate: ['2024-03-31'],
      }),
      7,
    );
    expect(rows).toEqual([
      {
        accession_number: 'a-1',
        cik: 7,
        form: '10-Q',
        filing_date: '2024-05-01',
        report_date: '2024-03-31',
        acceptance_datetime: null,
        primary_document: null,
        primary_doc_description: null,
      },
      {
        accession_number: 'a-2',
        cik: 7,
        form: '10-K',
        filing_date: '2024-04-01',
        report_date: null,
        acceptance_datetime: null,
        primary_document: null,
        primary_doc_description: null,
      },
    ]);
  });

  it('skips rows whose accession number, form or date is empty', () => {
    const rows = extractFilingColumns(
      columns({
        accessionNumber: ['', 'a-2', 'a-3', ' ', 'a-5'],
        form: ['10-K', '', '10-Q', '10-K', '10-K'],
        filingDate: ['2024-01-01', '2024-01-01', '', '2024-01-01', '2024-01-01'],
        reportDate: ['1', '2', '3', '4', ''],
      }),
      7,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ accession_number: 'a-5', form: '10-K', report_date: null });
  });
});

describe('extractSubmissions on odd input', () => {
  const emptyProfile = (cik: number) => ({
    profile: { cik, name: null, sic: null, industry: null, fiscal_year_end: null, tickers: [], exchanges: [] },
    filings: [],
    olderPages: [],
  });
  const noFilings = { recent: { accessionNumber: [], form: [], filingDate: [] } };

  it.each([
    ['only a CIK and empty columns', { cik: '0000320193', filings: noFilings }],
    ['null profile fields and no older pages', { cik: 320193, name: null, sic: null, sicDescription: null, fiscalYearEnd: null, tickers: [], exchanges: [], filings: { ...noFilings, files: [] } }],
  ])('returns an empty extract for %s', (_label, input) => {
    expect(extractSubmissions(decodeJson(SUBMISSIONS, input), 1)).toEqual(emptyProfile(320193));
  });

  it.each([
    ['an empty string', ''],
    ['zero', '0000000000'],
    ['a negative number', -5],
    ['a non-numeric string', 'CIK0000320193'],
    ['a fraction', 3.5],
  ])('uses the fallback CIK when cik is %s', (_label, cik) => {
    expect(extractSubmissions(decodeJson(SUBMISSIONS, { cik, filings: noFilings }), 77).profile.cik).toBe(77);
  });

  it('accepts cik as a number, drops empty and null tickers and exchanges, and skips unnamed older pages', () => {
    const extract = extractSubmissions(
      decodeJson(SUBMISSIONS, {
        cik: 1318605,
        name: 'Hand-made Co',
        sic: '3711',
        tickers: ['HMC', '', ' ', 'HMC-B'],
        exchanges: ['Nasdaq', null, ''],
        filings: {
          recent: {
            accessionNumber: ['h-1', 'h-2'],
            form: ['10-K/A', '8-K'],
            filingDate: ['2024-04-30', '2024-04-01'],
            reportDate: ['', ''],
          },
          files: [{ name: 'CIK0001318605-submissions-001.json' }, { name: '' }, { name: 'CIK0001318605-submissions-002.json' }],
        },
      }),
      1,
    );
    expect(extract.profile).toEqual({
      cik: 1318605,
      name: 'Hand-made Co',
      sic: '3711',
      industry: null,
      fiscal_year_end: null,
      tickers: ['HMC', 'HMC-B'],
      exchanges: ['Nasdaq'],
    });
    expect(extract.filings).toEqual([
      {
        accession_number: 'h-1',
        cik: 1318605,
        form: '10-K/A',
        filing_date: '2024-04-30',
        report_date: null,
        acceptance_datetime: null,
        primary_document: null,
        primary_doc_description: null,
      },
    ]);
    expect(extract.olderPages).toEqual(['CIK0001318605-submissions-001.json', 'CIK0001318605-submissions-002.json']);
  });
});

describe('the submissions schemas (SUBMISSIONS, SUBMISSIONS_PAGE, where the bytes arrive)', () => {
  const noFilingsBody = { recent: { accessionNumber: [], form: [], filingDate: [] } };

  it("passes Apple's and Tesla's real bodies", () => {
    expect(decodeSubmissions('0000320193').filings.recent.accessionNumber).toHaveLength(1005);
    expect(decodeSubmissions('0001318605').filings.recent.accessionNumber).toHaveLength(1002);
  });

  it("fails Apple's real body with one filing's form broken as malformed, naming the cell", () => {
    const apple = loadSubmissions('0000320193') as unknown as { filings: { recent: { form: unknown[] } } };
    apple.filings.recent.form[7] = 10;
    expect(malformedMessage(SUBMISSIONS, apple)).toBe('submissions: filings.recent.form.7: expected string, received number');
  });

  it.each([
    ['null', null, 'submissions: expected object, received null'],
    ['{}', {}, 'submissions: cik: expected string or number (and 1 more)'],
    ['a number', 42, 'submissions: expected object, received number'],
    ['a JSON string', 'not json', 'submissions: expected object, received string'],
    ['an array', [1, 2, 3], 'submissions: expected object, received array'],
    ['filings: null', { cik: 1, filings: null }, 'submissions: filings: expected object, received null'],
    ['filings.recent: []', { cik: 1, filings: { recent: [], files: 'CIK-001.json' } }, 'submissions: filings.recent: expected object, received array (and 1 more)'],
    ['a numeric sic', { cik: 1, sic: 3711, filings: noFilingsBody }, 'submissions: sic: expected string, received number'],
    ['a ticker that is an object', { cik: 1, tickers: ['HMC', { x: 1 }], filings: noFilingsBody }, 'submissions: tickers.1: expected string, received object'],
    ['exchanges that are a string', { cik: 1, exchanges: 'Nasdaq', filings: noFilingsBody }, 'submissions: exchanges: expected array, received string'],
    ['an older page without a name', { cik: 1, filings: { ...noFilingsBody, files: [{}] } }, 'submissions: filings.files.0.name: expected string, received undefined'],
    ['an older page named by an array', { cik: 1, filings: { ...noFilingsBody, files: [{ name: ['x'] }] } }, 'submissions: filings.files.0.name: expected string, received array'],
  ])('fails %s as malformed, naming the field', (_label, input, message) => {
    expect(malformedMessage(SUBMISSIONS, input)).toBe(message);
  });

  it.each([
    ['null', null, 'submissions page: expected object, received null'],
    ['a JSON string', '10-K', 'submissions page: expected object, received string'],
    ['an array', [['a-1'], ['10-K']], 'submissions page: expected object, received array'],
    ['accessionNumber not an array', { accessionNumber: 'a-1', form: ['10-K'], filingDate: ['2024-01-01'] }, 'submissions page: accessionNumber: expected array, received string'],
    ['form not an array', { accessionNumber: ['a-1'], form: '10-K', filingDate: ['2024-01-01'] }, 'submissions page: form: expected array, received string'],
    [
      'an accession number that is null',
      { accessionNumber: [null, 'a-2'], form: ['10-K', '10-K'], filingDate: ['2024-01-01', '2024-01-01'] },
      'submissions page: accessionNumber.0: expected string, received null',
    ],
    ['a form that is an array', { accessionNumber: ['a-1'], form: [['10-K']], filingDate: ['2024-01-01'] }, 'submissions page: form.0: expected string, received array'],
    ['a filing date that is a boolean', { accessionNumber: ['a-1'], form: ['10-K'], filingDate: [true] }, 'submissions page: filingDate.0: expected string, received boolean'],
    ['a report date that is a number', { accessionNumber: ['a-1'], form: ['10-K'], filingDate: ['2024-01-01'], reportDate: [1] }, 'submissions page: reportDate.0: expected string, received number'],
  ])('fails an older page with %s as malformed, naming the field', (_label, input, message) => {
    expect(malformedMessage(SUBMISSIONS_PAGE, input)).toBe(message);
  });
});
