import { describe, expect, it } from 'vitest';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import { handMadeFact, handMadeFacts, loadFacts } from '../helpers/companyfacts.js';

/*
 * Issue 15, point 4: shares outstanding where the cover page has none (multi-class issuers tag it
 * per class, and companyfacts leaves dimensioned facts out), with the source stored.
 */

describe('shares outstanding on real bodies', () => {
  it('Apple: the cover page', () => {
    // 10-K 0000320193-24-000123: 15,115,823,000 shares outstanding as of 2024-10-18.
    expect(extractCompanyFacts(loadFacts('0000320193')).sharesOutstanding).toEqual({ value: 15_115_823_000, date: '2024-10-18', source: 'cover' });
  });

  it('Alphabet (classes A, B, C; no cover-page fact in companyfacts): the balance sheet, all classes together', () => {
    // 10-Q 0001652044-26-000048: CommonStockSharesOutstanding 12,116 million at 2026-03-31.
    expect(extractCompanyFacts(loadFacts('0001652044')).sharesOutstanding).toEqual({ value: 12_116_000_000, date: '2026-03-31', source: 'balance_sheet' });
  });

  it('Meta (classes A and B; neither a cover nor a balance-sheet count): the latest diluted weighted average', () => {
    // 10-Q 0001326801-22-000057: diluted weighted average shares 2,742 million, quarter ending 2022-03-31.
    expect(extractCompanyFacts(loadFacts('0001326801')).sharesOutstanding).toEqual({ value: 2_742_000_000, date: '2022-03-31', source: 'weighted_diluted' });
  });

  it('TSMC (20-F): the cover page counts ordinary shares', () => {
    // 20-F 0001193125-25-083423: 25,932,733,242 common shares as of 2024-12-31.
    expect(extractCompanyFacts(loadFacts('0001046179')).sharesOutstanding).toEqual({ value: 25_932_733_242, date: '2024-12-31', source: 'cover' });
  });
});

const shares = (...facts: Record<string, unknown>[]) => ({ shares: facts });
const instant = (end: string, val: number, over: Record<string, unknown> = {}) => handMadeFact({ start: undefined, end, val, ...over });

describe('shares outstanding on hand-made bodies', () => {
  it('passes over a cover page more than a year older than the newest report (a company that began tagging per class)', () => {
    // HAND-MADE: undimensioned cover facts until 2019 (class A only, then); the 10-K for 2023 has
    // the balance sheet and the income statement.
    const facts = handMadeFacts({
      dei: { EntityCommonStockSharesOutstanding: shares(instant('2019-02-10', 400_000_000, { fy: 2018 })) },
      'us-gaap': {
        CommonStockSharesOutstanding: shares(instant('2023-12-31', 610_000_000), instant('2022-12-31', 600_000_000, { fy: 2022 })),
        NetIncomeLoss: { USD: [handMadeFact({ val: 70_000_000 })] },
      },
    });
    expect(extractCompanyFacts(facts).sharesOutstanding).toEqual({ value: 610_000_000, date: '2023-12-31', source: 'balance_sheet' });
  });

  it('takes the newest figure when every one is that old (a company that stopped reporting shares)', () => {
    // HAND-MADE: the 10-K for 2023 has no share count; the cover of 2020 and balance sheet of 2021 remain.
    const facts = handMadeFacts({
      dei: { EntityCommonStockSharesOutstanding: shares(instant('2020-02-10', 400_000_000, { fy: 2019 })) },
      'us-gaap': {
        CommonStockSharesOutstanding: shares(instant('2021-12-31', 420_000_000, { fy: 2021 })),
        NetIncomeLoss: { USD: [handMadeFact({ val: 70_000_000 })] },
      },
    });
    expect(extractCompanyFacts(facts).sharesOutstanding).toEqual({ value: 420_000_000, date: '2021-12-31', source: 'balance_sheet' });
  });

  it('keeps a cover page dated after the balance sheet of the same report', () => {
    // HAND-MADE: the cover's date (2024-01-25) follows the period end (2023-12-31).
    const facts = handMadeFacts({
      dei: { EntityCommonStockSharesOutstanding: shares(instant('2024-01-25', 605_000_000)) },
      'us-gaap': { CommonStockSharesOutstanding: shares(instant('2023-12-31', 610_000_000)) },
    });
    expect(extractCompanyFacts(facts).sharesOutstanding).toEqual({ value: 605_000_000, date: '2024-01-25', source: 'cover' });
  });

  it("takes the quarter's diluted average over the year-to-date one ending the same day", () => {
    // HAND-MADE: a 10-Q with 3- and 9-month averages ending 2024-09-30, nothing else.
    const facts = handMadeFacts({
      'us-gaap': {
        WeightedAverageNumberOfDilutedSharesOutstanding: shares(
          handMadeFact({ start: '2024-01-01', end: '2024-09-30', val: 101_000_000, form: '10-Q', fp: 'Q3', fy: 2024, filed: '2024-11-01' }),
          handMadeFact({ start: '2024-07-01', end: '2024-09-30', val: 99_000_000, form: '10-Q', fp: 'Q3', fy: 2024, filed: '2024-11-01' }),
          handMadeFact({ val: 105_000_000 }),
        ),
      },
    });
    expect(extractCompanyFacts(facts).sharesOutstanding).toEqual({ value: 99_000_000, date: '2024-09-30', source: 'weighted_diluted' });
  });

  it('has none without any of the three', () => {
    expect(extractCompanyFacts(handMadeFacts({ 'us-gaap': { NetIncomeLoss: { USD: [handMadeFact({})] } } })).sharesOutstanding).toBeNull();
  });
});
