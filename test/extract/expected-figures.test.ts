import { describe, expect, it } from 'vitest';
import { CLASS_COMPANIES, loadClassFacts, readClassBody, type ClassCompany, type ExpectedFigure, type RawFactJson } from '../helpers/class-figures.js';

/*
 * The table of expected figures is data about filings, so it is checked against what it cites, never
 * against the extraction: every figure names the accession it was filed under and where it was read;
 * a figure with a concept is a fact of that concept filed under that accession for that period; a
 * quoted figure is the number its quote prints, times the scale of its table.
 */

const ACCESSION = /^\d{10}-\d{2}-\d{6}$/;
const MONEY_METRICS: readonly ExpectedFigure['metric'][] = ['revenue', 'net_sales', 'net_income'];

/** The facts of a concept (`taxonomy:Name`) in a unit, as the body files them. */
function factsOf(company: ClassCompany, concept: string, unit: string): RawFactJson[] {
  const [taxonomy = '', name = ''] = concept.split(':');
  return readClassBody(company).facts[taxonomy]?.[name]?.units[unit] ?? [];
}

/** Facts of the figure's concept filed under its accession for its period (duration or instant). */
function filedFacts(company: ClassCompany, figure: ExpectedFigure): RawFactJson[] {
  return factsOf(company, figure.concept ?? '', figure.unit).filter(
    (fact) => fact.accn === figure.accession && (figure.date === undefined ? fact.start === figure.start && fact.end === figure.end : fact.start === undefined && fact.end === figure.date),
  );
}

/** `1234567` → `"1,234,567"`, as filings print counts. */
const grouped = (value: number): string => value.toLocaleString('en-US');

describe('expected-figures.json: every company comes with its real body', () => {
  it('has companies with unique CIKs, each body decoding as COMPANYFACTS under its own CIK', () => {
    expect(CLASS_COMPANIES.length).toBeGreaterThan(0);
    expect(new Set(CLASS_COMPANIES.map((company) => company.cik)).size).toBe(CLASS_COMPANIES.length);
    for (const company of CLASS_COMPANIES) {
      expect(() => loadClassFacts(company), company.name).not.toThrow();
      expect(Number(readClassBody(company).cik), company.name).toBe(Number(company.cik));
    }
  });

  it('records where each body comes from and whether it is complete', () => {
    for (const company of CLASS_COMPANIES) {
      expect(company.body.repository, company.name).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(company.body.commit, company.name).toMatch(/^[0-9a-f]{8,40}$/);
      expect(company.body.path.length, company.name).toBeGreaterThan(0);
      // A trimmed body has to say what was trimmed.
      if (!company.body.complete) expect(company.body.note, company.name).toMatch(/TRIMMED/);
    }
  });
});

describe('expected-figures.json: every figure names its filing and where it was read', () => {
  it('gives each figure an accession, a source sentence and its period or date', () => {
    for (const company of CLASS_COMPANIES) {
      expect(company.annualReport.accession, company.name).toMatch(ACCESSION);
      expect(new Set(company.figures.map((figure) => figure.id)).size, company.name).toBe(company.figures.length);
      for (const figure of company.figures) {
        const where = `${company.name} ${figure.id}`;
        expect(figure.accession, where).toMatch(ACCESSION);
        expect(figure.source.length, where).toBeGreaterThanOrEqual(20);
        expect(figure.concept !== null || figure.quote !== undefined, `${where}: a concept or a quote`).toBe(true);
        if (figure.date === undefined)
          expect(
            [figure.period, figure.fiscalYear, figure.start, figure.end].every((part) => part !== undefined),
            where,
          ).toBe(true);
        else expect(figure.period, where).toBeUndefined();
      }
    }
  });

  it('states money in the company currency and per-share amounts per share of it', () => {
    for (const company of CLASS_COMPANIES) {
      for (const figure of company.figures) {
        if (MONEY_METRICS.includes(figure.metric)) expect(figure.unit, `${company.name} ${figure.id}`).toBe(company.currency);
        if (figure.metric === 'eps_diluted') expect(figure.unit, `${company.name} ${figure.id}`).toBe(`${company.currency}/shares`);
      }
    }
  });
});

describe('expected-figures.json: the figures are what the filings say', () => {
  it('finds each figure with a concept among the facts filed under its accession for its period', () => {
    for (const company of CLASS_COMPANIES) {
      for (const figure of company.figures.filter((candidate) => candidate.concept !== null)) {
        const filed = filedFacts(company, figure);
        expect(filed.length, `${company.name} ${figure.id}: no ${figure.concept ?? ''} fact in ${figure.accession}`).toBeGreaterThan(0);
        expect(
          filed.map((fact) => fact.val),
          `${company.name} ${figure.id}`,
        ).toContain(figure.value);
      }
    }
  });

  it('reads each quoted figure as its quote prints it, times the scale of its table', () => {
    for (const company of CLASS_COMPANIES) {
      for (const figure of company.figures) {
        const quote = figure.quote;
        if (quote === undefined) continue;
        const where = `${company.name} ${figure.id}`;
        if (quote.number === null) {
          // A cover page counting each class: the figure is the sum of the classes it prints.
          const parts = figure.parts ?? [];
          expect(parts.length, where).toBeGreaterThan(1);
          expect(
            parts.reduce((sum, part) => sum + part.value, 0),
            where,
          ).toBe(figure.value);
          for (const part of parts) expect(quote.text, where).toContain(grouped(part.value));
          continue;
        }
        expect(quote.text, where).toContain(quote.number);
        const printed = Number(quote.number.replace(/,/g, ''));
        if (quote.scale === 1) expect(printed, where).toBe(figure.value);
        else expect(Math.round(printed * quote.scale), where).toBe(figure.value);
      }
    }
  });

  it("labels the latest fiscal year as SEC's fy on the year's own facts in the annual report", () => {
    for (const company of CLASS_COMPANIES) {
      const { accession } = company.annualReport;
      const { label, start, end } = company.fiscalYear;
      const yearFacts = company.figures
        .filter((figure) => figure.concept !== null && figure.period === 'FY' && figure.accession === accession)
        .flatMap((figure) => filedFacts(company, figure))
        .filter((fact) => fact.start === start && fact.end === end);
      expect(yearFacts.length, company.name).toBeGreaterThan(0);
      expect(new Set(yearFacts.map((fact) => fact.fy)), company.name).toEqual(new Set([label]));
      for (const figure of company.figures.filter((candidate) => candidate.period === 'FY')) expect(figure.fiscalYear, `${company.name} ${figure.id}`).toBe(label);
    }
  });

  it('quotes the ADS ratio where the company has ADSs', () => {
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
    for (const company of CLASS_COMPANIES) {
      if (company.ads === null) continue;
      expect(company.ads.quote.text, company.name).toContain(`Each ADS represents ${words[company.ads.sharesPerAds] ?? String(company.ads.sharesPerAds)}`);
    }
  });
});
