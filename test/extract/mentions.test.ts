import { describe, expect, it } from 'vitest';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import { byYear, handMadeFact, handMadeFacts, loadFacts, row } from '../helpers/companyfacts.js';

/*
 * Issue 15, point 2: a value a filing gives for a period more than two fiscal years before its own
 * (outside its income statement) never replaces a reported one. None of the real bodies at hand
 * has such a remark in a concept extraction reads (every read fact of all 14 lies within 1,050
 * days of its filing's own period), so the remark is HAND-MADE; the real bodies show that the
 * oldest year of a statement still counts.
 */

const usd = (...facts: Record<string, unknown>[]) => ({ USD: facts });
const year = (fy: number, over: Record<string, unknown> = {}) => handMadeFact({ start: `${fy}-01-01`, end: `${fy}-12-31`, ...over });
/** The company's 10-K for fiscal year `fy`, filed in February after it. */
const tenK = (fy: number) => ({ fy, accn: `0009000015-${String(fy + 1).slice(2)}-000010`, filed: `${fy + 1}-02-15` });

describe('mentions of old periods', () => {
  // HAND-MADE: a calendar-year company; its 10-K for 2024 remarks that revenue "was about $1.2
  // billion in 2021", tagged as a 2021 fact, three years before its own period.
  const facts = handMadeFacts({
    'us-gaap': {
      Revenues: usd(
        year(2021, { val: 1_234_567_000, ...tenK(2021) }),
        year(2022, { val: 1_400_000_000, ...tenK(2022) }),
        year(2021, { val: 1_234_567_000, ...tenK(2022) }),
        // The 10-K for 2023 restates 2021, the oldest year of its income statement: a restatement.
        year(2021, { val: 1_240_000_000, ...tenK(2023) }),
        year(2023, { val: 1_500_000_000, ...tenK(2023) }),
        year(2024, { val: 1_650_000_000, ...tenK(2024) }),
        year(2021, { val: 1_200_000_000, ...tenK(2024) }), // the remark
        year(2019, { val: 900_000_000, ...tenK(2024) }), // a year nothing else reports
      ),
      NetIncomeLoss: usd(year(2024, { val: 50_000_000, ...tenK(2024) })),
    },
  });
  const years = byYear(extractCompanyFacts(facts).earnings);

  it('keeps the last value a statement gave (the 10-K for 2023 restating 2021) when the 10-K for 2024 mentions 2021', () => {
    expect(row(years, 2021).revenue).toBe(1_240_000_000);
  });

  it('uses a mention for a period nothing else reports', () => {
    expect(row(years, 2019).revenue).toBe(900_000_000);
  });

  it("keeps the filing's own figures", () => {
    expect(row(years, 2024)).toMatchObject({ revenue: 1_650_000_000, net_income: 50_000_000 });
  });
});

describe('the oldest year of a statement is no mention (real bodies)', () => {
  it("Microsoft's 10-K for fiscal 2010 states fiscal 2008's quarters, and they count", () => {
    // 10-K 0001193125-10-171791 (own period ends 2010-06-30) tags Q1 of fiscal 2008 (2007-07-01 to
    // 2007-09-30, 1,004 days back): revenue 13,762 and net income 4,289 (millions).
    const q1 = row(byYear(extractCompanyFacts(loadFacts('0000789019')).earnings, 'Q1'), 2008);
    expect(q1).toMatchObject({ period_end: '2007-09-30', revenue: 13_762_000_000, net_income: 4_289_000_000, accession_number: '0001193125-10-171791' });
  });

  it('Tesla 2017 as re-presented in millions by the 10-K for 2019, two years on', () => {
    // 10-K 0001564590-20-004475 (own period 2019): 2017 revenues 11,759 against 11,758,751 (thousands) before.
    expect(row(byYear(extractCompanyFacts(loadFacts('0001318605')).earnings), 2017).revenue).toBe(11_759_000_000);
  });
});
