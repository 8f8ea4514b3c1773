import { describe, expect, it } from 'vitest';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import { classCompany, loadClassFacts } from '../helpers/class-figures.js';
import { byYear, handMadeFact, handMadeFacts, loadFacts, row } from '../helpers/companyfacts.js';

/*
 * Issue 15, point 1: revenue is total revenue, and each row says which concept it came from.
 * Expected figures are the facts as filed (accession numbers in the comments). No real body at hand
 * has a period whose ASC 606 figure is only part of `Revenues`, nor a bank tagging fee income under
 * the 606 concept or no total at all: those cases are HAND-MADE bodies modelled on how such filers
 * tag (said at each test). Goldman Sachs is a real bank body (test/fixtures/sec/classes/).
 */

describe('revenue on real bodies', () => {
  it('Tesla FY2018: Revenues wins over the ASC 606 concept of the same period', () => {
    const years = byYear(extractCompanyFacts(loadFacts('0001318605')).earnings);
    // Revenues 21,461 (millions) last filed by the 10-K for 2020 (0001564590-21-004599); the 606
    // concept's 21,461,268,000 was filed only by the 10-K for 2018 (0001564590-19-003165).
    expect(row(years, 2018)).toMatchObject({ revenue: 21_461_000_000, revenue_concept: 'us-gaap:Revenues' });
  });

  it('Apple: the concept of each year, as the company moved between them', () => {
    const years = byYear(extractCompanyFacts(loadFacts('0000320193')).earnings);
    const concepts = [2015, 2016, 2024].map((fy) => [row(years, fy).revenue, row(years, fy).revenue_concept]);
    expect(concepts).toEqual([
      [233_715_000_000, 'us-gaap:SalesRevenueNet'], // 10-K 0001193125-15-356351 and later, SalesRevenueNet only
      [215_639_000_000, 'us-gaap:Revenues'], // 10-K filed 2018 (0000320193-18-000145)
      [391_035_000_000, 'us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax'], // 10-K 0000320193-24-000123
    ]);
  });

  it('Celestica: the IFRS 15 concept, named with its taxonomy', () => {
    const years = byYear(extractCompanyFacts(loadFacts('0001030894')).earnings);
    // 20-F for 2018 (0001628280-19-002735): revenue 6,633.2 million.
    expect(row(years, 2018)).toMatchObject({ revenue: 6_633_200_000, revenue_concept: 'ifrs-full:RevenueFromContractsWithCustomers' });
  });

  it("Microsoft fiscal 2016: Q4 of the quarters' concept, not the year restated under ASC 606 less its old quarters", () => {
    const rows = extractCompanyFacts(loadFacts('0000789019')).earnings;
    // The 10-K for fiscal 2018 (0001564590-18-019062) restated fiscal 2016 to 91,154 under ASC 606;
    // the quarters stayed as SalesRevenueNet, and the 10-K for fiscal 2016 (0001193125-16-662209)
    // states Q4 revenue 20,614 (85,320 − 20,379 − 23,796 − 20,531), not 26,448.
    expect(row(byYear(rows), 2016)).toMatchObject({ revenue: 91_154_000_000, revenue_concept: 'us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax' });
    expect(row(byYear(rows, 'Q4'), 2016)).toMatchObject({ revenue: 20_614_000_000, revenue_concept: 'us-gaap:SalesRevenueNet' });
  });

  it('Alphabet 2019: quarters tagged Revenues in one filing and the 606 concept in the next still give Q4', () => {
    const rows = extractCompanyFacts(loadFacts('0001652044')).earnings;
    const quarters = rows.filter((r) => r.fiscal_year === 2019 && r.period !== 'FY');
    expect(quarters.map((q) => q.revenue_concept)).toEqual([
      'us-gaap:Revenues',
      'us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax',
      'us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax',
      'us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax',
    ]);
    // 10-K for 2019 (0001652044-20-000008): revenues 161,857; Q1–Q3 36,339, 38,944, 40,499.
    expect(quarters.map((q) => q.revenue)).toEqual([36_339_000_000, 38_944_000_000, 40_499_000_000, 46_075_000_000]);
  });
});

const usd = (...facts: Record<string, unknown>[]) => ({ USD: facts });

describe('revenue on hand-made bodies (no real REIT or bank body at hand)', () => {
  it('a REIT-like filer: total Revenues, not the 606 part without its lease income', () => {
    // HAND-MADE: a landlord tags rental income outside ASC 606 and both concepts in one 10-K.
    const facts = handMadeFacts({
      'us-gaap': {
        RevenueFromContractWithCustomerExcludingAssessedTax: usd(handMadeFact({ val: 150_000_000 })),
        Revenues: usd(handMadeFact({ val: 1_020_000_000 })),
      },
    });
    expect(extractCompanyFacts(facts).earnings[0]).toMatchObject({ revenue: 1_020_000_000, revenue_concept: 'us-gaap:Revenues', reporting_currency: 'USD' });
  });

  it('Goldman Sachs (real, trimmed): a bank tagging only revenue net of interest expense, quarters included', () => {
    const rows = extractCompanyFacts(loadClassFacts(classCompany('0000886982'))).earnings;
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.revenue_concept))).toEqual(new Set(['us-gaap:RevenuesNetOfInterestExpense']));
    // 10-K 0000886982-26-000091: FY2025 58,283 (millions); 10-Qs 0000886982-25-000009, -000022,
    // -001411: quarters 15,062, 14,583 and 15,184. Q4 is the year less the three filed quarters.
    expect(row(byYear(rows), 2025).revenue).toBe(58_283_000_000);
    expect(row(byYear(rows, 'Q4'), 2025).revenue).toBe(58_283_000_000 - 15_062_000_000 - 14_583_000_000 - 15_184_000_000);
  });

  it('a bank: revenue net of interest expense before the 606 concept it tags for fees', () => {
    // HAND-MADE, shaped as JPMorgan's 10-Qs: RevenuesNetOfInterestExpense, and 606 only for fee income.
    const facts = handMadeFacts({
      'us-gaap': {
        RevenueFromContractWithCustomerExcludingAssessedTax: usd(handMadeFact({ val: 21_000_000 })),
        RevenuesNetOfInterestExpense: usd(handMadeFact({ val: 182_000_000 })),
      },
    });
    expect(extractCompanyFacts(facts).earnings[0]).toMatchObject({ revenue: 182_000_000, revenue_concept: 'us-gaap:RevenuesNetOfInterestExpense' });
  });

  it('a bank without a total: interest and dividend income plus noninterest income of one filing', () => {
    // HAND-MADE, shaped as a regional bank's income statement.
    const facts = handMadeFacts({
      'us-gaap': {
        RevenueFromContractWithCustomerExcludingAssessedTax: usd(handMadeFact({ val: 9_000_000 }), handMadeFact({ start: '2022-01-01', end: '2022-12-31', val: 8_000_000, fy: 2022 })),
        InterestAndDividendIncomeOperating: usd(handMadeFact({ val: 310_000_000 }), handMadeFact({ start: '2022-01-01', end: '2022-12-31', val: 250_000_000, fy: 2022 })),
        // 2022's noninterest income only in another filing (a 10-K/A): no sum across filings.
        NoninterestIncome: usd(handMadeFact({ val: 45_000_000 }), handMadeFact({ start: '2022-01-01', end: '2022-12-31', val: 40_000_000, fy: 2022, accn: '0009000015-24-000007', form: '10-K/A' })),
      },
    });
    const years = byYear(extractCompanyFacts(facts).earnings);
    expect(row(years, 2023)).toMatchObject({ revenue: 355_000_000, revenue_concept: 'us-gaap:InterestAndDividendIncomeOperating+NoninterestIncome' });
    expect(row(years, 2022)).toMatchObject({ revenue: 8_000_000, revenue_concept: 'us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax' });
  });

  it('a row without revenue has no concept', () => {
    const facts = handMadeFacts({ 'us-gaap': { NetIncomeLoss: usd(handMadeFact({ val: 7 })) } });
    expect(extractCompanyFacts(facts).earnings[0]).toMatchObject({ revenue: null, revenue_concept: null, net_income: 7 });
  });
});
