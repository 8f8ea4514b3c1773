import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FIELDS, measureCoverage, totalsOf, type CompanyCoverage, type CoverageTotals, type Field } from './coverage-measure.js';

/**
 * `npm run coverage`: over every real companyfacts body in test/fixtures/sec, the share of
 * companies whose last fiscal year has diluted EPS, revenue, net income, shares outstanding and a
 * P/E (see coverage-measure.ts). A table per company and the totals; `--json` for machines.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

const HEADINGS: Record<Field, string> = { eps: 'EPS', revenue: 'revenue', netIncome: 'net income', shares: 'shares', pe: 'P/E' };

const mark = (value: boolean): string => (value ? '✓' : '✗');
const percent = (part: number, whole: number): string => (whole === 0 ? '—' : `${((part / whole) * 100).toFixed(0)} %`);

function companyLine(company: CompanyCoverage): string {
  const notes = [
    company.trimmed ? 'body trimmed' : null,
    company.revenueConcept && `revenue ${company.revenueConcept}`,
    company.sharesSource && `shares ${company.sharesSource}`,
    `P/E ${company.peStatus} at ${company.priceSource}`,
    company.reportingCurrency && company.reportingCurrency !== 'USD' ? `reports in ${company.reportingCurrency}` : null,
  ].filter(Boolean);
  const cells = [company.name, company.cik, company.companyClass, String(company.fiscalYear ?? '—'), ...FIELDS.map((field) => mark(company[field])), notes.join('; ')];
  return `| ${cells.join(' | ')} |`;
}

function totalsLine(label: string, totals: CoverageTotals): string {
  const cells = FIELDS.map((field) => `${totals.covered[field]}/${totals.companies} (${percent(totals.covered[field], totals.companies)})`);
  return `| ${[label, String(totals.companies), ...cells, String(totals.peNotComputedCurrency)].join(' | ')} |`;
}

function main(): void {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
  const coverage = measureCoverage(`${root}test/fixtures`);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(coverage, null, 2)}\n`);
    return;
  }
  const headings = FIELDS.map((field) => HEADINGS[field]);
  const lines = [
    `| company | CIK | class | fiscal year | ${headings.join(' | ')} | note |`,
    `|${' --- |'.repeat(headings.length + 5)}`,
    ...coverage.companies.map(companyLine),
    '',
    `| | companies | ${headings.join(' | ')} | P/E not computed (currency) |`,
    `|${' --- |'.repeat(headings.length + 3)}`,
    ...coverage.byClass.map(({ companyClass, totals }) => totalsLine(companyClass, totals)),
    totalsLine('**all**', coverage.totals),
    totalsLine('complete bodies', totalsOf(coverage.companies.filter((company) => !company.trimmed))),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
