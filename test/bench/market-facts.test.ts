import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureFixtures, measureShape, type FactsShape } from '../../bench/facts-shape.js';
import { bodyKb, intendedFigures, intendedSharesOutstanding, MARKET_SHAPE, marketFactsText, marketKey } from '../../bench/market-facts.js';
import { syntheticCompanies } from '../../dev/stand-in/datasets.js';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import { COMPANYFACTS } from '../../src/sources/schemas/companyfacts.js';

const fixtures = fileURLToPath(new URL('../fixtures', import.meta.url));
const companies = syntheticCompanies(12);

const extract = (index: number, kb?: number) => {
  const text = marketFactsText(companies[index] as (typeof companies)[number], index, kb);
  return { text, facts: extractCompanyFacts(COMPANYFACTS.decode(Buffer.from(text), 'bench')) };
};

describe("the bench's generated companyfacts: extracted as meant", () => {
  it.each([0, 3, 6, 7])('company %i: every FY and quarter row the extraction gives carries the figures the generator meant, and every fiscal year of its filings is there', (index) => {
    const { facts } = extract(index);
    const meant = intendedFigures(index);
    const fyRows = facts.earnings.filter((row) => row.period === 'FY');
    expect(fyRows.length).toBeGreaterThan(0);
    for (const row of facts.earnings) {
      const figures = meant.get(`${row.fiscal_year}${row.period}`);
      expect(figures, `${row.fiscal_year}${row.period}`).toBeDefined();
      expect({ year: row.fiscal_year, period: row.period, revenue: row.revenue, net_income: row.net_income, eps: row.eps_diluted }).toEqual({
        year: row.fiscal_year,
        period: row.period,
        revenue: figures?.revenue,
        net_income: figures?.net_income,
        eps: figures?.eps_diluted,
      });
      if (row.total_liabilities !== null) expect(row.total_liabilities).toBe(figures?.total_liabilities);
      if (row.stockholders_equity !== null) expect(row.stockholders_equity).toBe(figures?.stockholders_equity);
    }
    // A FY row with its balance sheet for each of the body's 10-Ks and the year end before the first
    // (the first 10-K's comparative); the open year's two 10-Qs as Q1 and Q2.
    const years = fyRows.filter((row) => row.total_liabilities !== null && row.stockholders_equity !== null).map((row) => row.fiscal_year);
    const tenKs = measureShape(marketFactsText(companies[index] as (typeof companies)[number], index)).years - 1;
    const first = MARKET_SHAPE.lastYear - tenKs + 1;
    expect(years).toEqual(Array.from({ length: tenKs + 1 }, (_unused, offset) => first - 1 + offset));
    expect(
      facts.earnings
        .filter((row) => row.fiscal_year === MARKET_SHAPE.lastYear)
        .map((row) => row.period)
        .sort(),
    ).toEqual(['FY', 'Q1', 'Q2', 'Q3', 'Q4']);
    expect(facts.earnings.filter((row) => row.fiscal_year === MARKET_SHAPE.lastYear + 1).map((row) => row.period)).toEqual(['Q1', 'Q2']);
    expect(facts.sharesOutstanding).toMatchObject({ value: intendedSharesOutstanding(index), source: 'cover' });
    expect(facts.splits).toEqual([]);
  });

  it('--facts-kb: a fixed size per company, within a concept of it, extracted as meant too', () => {
    for (const kb of [250, 2735]) {
      const { text, facts } = extract(5, kb);
      expect(text.length / 1024).toBeGreaterThanOrEqual(kb);
      expect(text.length / 1024).toBeLessThan(kb + 40);
      const meant = intendedFigures(5, kb);
      for (const row of facts.earnings) expect(row.revenue).toBe(meant.get(`${row.fiscal_year}${row.period}`)?.revenue);
    }
  });

  it('is deterministic: the same company is the same body, whatever the size of the market', () => {
    expect(marketFactsText(companies[4] as (typeof companies)[number], 4)).toBe(marketFactsText(syntheticCompanies(4000)[4] as (typeof companies)[number], 4));
    expect(bodyKb(4)).toBe(bodyKb(4));
  });

  it('keys the archive cache by the generator version and the fixed size, so an older synthetic archive is not reused', () => {
    expect(marketKey(undefined)).toBe(`market-v${MARKET_SHAPE.version}`);
    expect(marketKey(250)).not.toBe(marketKey(undefined));
    expect(marketKey(250)).toContain('250kb');
  });
});

describe("the bench's generated companyfacts: shaped like the real bodies", () => {
  let real: FactsShape[];
  let generated: FactsShape[];
  let compression: number;
  beforeAll(() => {
    real = measureFixtures(fixtures)
      .filter((entry) => !entry.trimmed)
      .map((entry) => entry.shape);
    const texts = companies.map((company, index) => Buffer.from(marketFactsText(company, index)));
    generated = texts.map((text) => measureShape(text.toString('utf8')));
    const [plain, deflated] = texts.reduce(([a, b], text) => [a + text.length, b + deflateRawSync(text).length], [0, 0]);
    compression = plain / deflated;
  });

  const range = (shapes: FactsShape[], pick: (shape: FactsShape) => number): [number, number] => [Math.min(...shapes.map(pick)), Math.max(...shapes.map(pick))];

  it('each generated body lies within the real bodies’ range of bytes per fact, instants, frames, label and description lengths, facts per filing', () => {
    const picks: [string, (shape: FactsShape) => number, number][] = [
      ['bytes per fact', (s) => s.bytesPerFact, 10],
      ['instant share', (s) => s.instantShare, 0.05],
      ['frame share', (s) => s.frameShare, 0.05],
      ['facts per filing', (s) => s.factsPerFiling, 0.1],
      ['description chars', (s) => s.descriptionChars, 20],
    ];
    for (const [name, pick, slack] of picks) {
      const [low, high] = range(real, pick);
      for (const shape of generated) expect(pick(shape), `${name} of ${shape.cik}`).toSatisfy((value: number) => value >= low - slack && value <= high + slack);
    }
  });

  it('compresses like the real bodies (deflate ×13–16, not the ×22 of the earlier generator)', () => {
    const [low, high] = range(real, (s) => s.compression);
    expect(low).toBeLessThan(14);
    expect(compression).toBeGreaterThanOrEqual(13);
    expect(compression).toBeLessThanOrEqual(Math.min(16, high));
  });

  it('spreads body sizes around the stated median, most of them under the real large caps', () => {
    const kbs = Array.from({ length: 2000 }, (_unused, index) => bodyKb(index)).sort((a, b) => a - b);
    const median = kbs[1000] as number;
    const mean = kbs.reduce((sum, kb) => sum + kb, 0) / kbs.length;
    expect(median).toBeGreaterThan(MARKET_SHAPE.medianKb * 0.9);
    expect(median).toBeLessThan(MARKET_SHAPE.medianKb * 1.1);
    expect(mean).toBeGreaterThan(MARKET_SHAPE.meanKb * 0.9);
    expect(mean).toBeLessThan(MARKET_SHAPE.meanKb * 1.1);
    const apple = Math.max(...real.map((s) => s.kb));
    expect(kbs.filter((kb) => kb > apple).length / kbs.length).toBeLessThan(0.15);
    expect(kbs[0]).toBeGreaterThanOrEqual(MARKET_SHAPE.minKb);
  });
});
