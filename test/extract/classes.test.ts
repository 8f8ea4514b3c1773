import { describe, expect, it } from 'vitest';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import type { EarningsRow } from '../../src/extract/types.js';
import { CLASS_COMPANIES, loadClassFacts, type ExpectedFigure } from '../helpers/class-figures.js';

/*
 * The extraction run on real bodies of classes of companies it was not built around (a bank, a
 * January retailer, multi-class issuers, 20-F filers), asserted against the figures their own
 * annual reports state (test/fixtures/sec/classes/expected-figures.json; the table is checked
 * against the filings by expected-figures.test.ts, never against this extraction).
 *
 * KNOWN_GAPS lists the figures the current extraction gets wrong, with the reason; they run as
 * `it.fails`. When a change to src/extract/ closes a gap its test starts failing: delete the entry.
 */
const KNOWN_GAPS: Readonly<Record<string, string>> = {
  // Multi-class issuers whose cover page counts each class: companyfacts drops dimensioned facts,
  // so there is no dei:EntityCommonStockSharesOutstanding at all and no undimensioned balance-sheet
  // count either. sharesOutstanding is null; only the 10-K's per-class cover text has the figure.
  '0001562088/shares_outstanding': 'no undimensioned cover-page share count in companyfacts',
  '0001561550/shares_outstanding': 'no undimensioned cover-page share count in companyfacts',
  '0001594805/shares_outstanding': 'no undimensioned cover-page share count in companyfacts',
};

/** Figures the extraction has no column for: recorded in the table, not asserted here. */
const NOT_EXTRACTED: ReadonlySet<ExpectedFigure['metric']> = new Set(['net_sales', 'shares_outstanding_balance_sheet']);

const ROW_COLUMN = { revenue: 'revenue', net_income: 'net_income', eps_diluted: 'eps_diluted' } as const;

/** `182447000000` → `182,447,000,000` for test names. */
const grouped = (value: number): string => value.toLocaleString('en-US', { maximumFractionDigits: 4 });

function figureName(figure: ExpectedFigure): string {
  const when = figure.date === undefined ? `${figure.period ?? ''} ${figure.fiscalYear ?? ''}` : `at ${figure.date}`;
  return `${figure.metric} ${when} is ${grouped(figure.value)} ${figure.unit} as filed in ${figure.accession}${figure.quote ? ' (quoted from the filing)' : ''}`;
}

/** The row of the figure's period, failing when the extraction has none or dates it otherwise. */
function rowOf(rows: readonly EarningsRow[], figure: ExpectedFigure): EarningsRow {
  const row = rows.find((candidate) => candidate.fiscal_year === figure.fiscalYear && candidate.period === figure.period);
  expect(row, `no ${figure.period ?? ''} ${figure.fiscalYear ?? ''} row`).toBeDefined();
  expect({ start: row?.period_start, end: row?.period_end }).toEqual({ start: figure.start, end: figure.end });
  return row as EarningsRow;
}

function assertFigure(extract: ReturnType<typeof extractCompanyFacts>, figure: ExpectedFigure): void {
  if (figure.metric === 'shares_outstanding') {
    expect(extract.sharesOutstanding).toMatchObject({ value: figure.value, date: figure.date });
    return;
  }
  const column = ROW_COLUMN[figure.metric as keyof typeof ROW_COLUMN];
  expect(rowOf(extract.earnings, figure)[column]).toBe(figure.value);
}

for (const company of CLASS_COMPANIES) {
  describe(`${company.name} (${company.class}, CIK ${company.cik}; body ${company.body.complete ? 'complete' : 'trimmed'})`, () => {
    const extract = extractCompanyFacts(loadClassFacts(company));

    it(`names the fiscal year ending ${company.fiscalYear.end} ${company.fiscalYear.label}, as the company does`, () => {
      const row = extract.earnings.find((candidate) => candidate.period === 'FY' && candidate.period_end === company.fiscalYear.end);
      expect(row).toMatchObject({ fiscal_year: company.fiscalYear.label, period_start: company.fiscalYear.start });
    });

    for (const figure of company.figures.filter((candidate) => !NOT_EXTRACTED.has(candidate.metric))) {
      const gap = KNOWN_GAPS[`${company.cik}/${figure.id}`];
      (gap === undefined ? it : it.fails)(`${figureName(figure)}${gap === undefined ? '' : ` [known gap: ${gap}]`}`, () => {
        assertFigure(extract, figure);
      });
    }
  });
}

describe('the known gaps are gaps of figures in the table', () => {
  it('names only companies and figures that exist', () => {
    const ids = new Set(CLASS_COMPANIES.flatMap((company) => company.figures.map((figure) => `${company.cik}/${figure.id}`)));
    for (const key of Object.keys(KNOWN_GAPS)) expect(ids.has(key), key).toBe(true);
  });
});
