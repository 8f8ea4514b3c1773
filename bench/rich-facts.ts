import type { SyntheticCompany } from '../dev/stand-in/datasets.js';

const CORE = [
  ['EarningsPerShareDiluted', 'USD/shares'],
  ['RevenueFromContractWithCustomerExcludingAssessedTax', 'USD'],
  ['NetIncomeLoss', 'USD'],
  ['NetCashProvidedByUsedInOperatingActivities', 'USD'],
  ['CommonStockDividendsPerShareDeclared', 'USD/shares'],
  ['WeightedAverageNumberOfDilutedSharesOutstanding', 'shares'],
] as const;

/**
 * A companyfacts body shaped like a real filer's: 10-Ks carrying three years of each duration
 * concept, 10-Qs with 3-month and year-to-date facts, balance sheets as instants, and as many
 * further concepts as it takes to reach about `kb` KB (real large filers have hundreds).
 */
export function richCompanyFacts(company: SyntheticCompany, seed: number, kb: number): unknown {
  const gaap: Record<string, { label: string; units: Record<string, unknown[]> }> = {};
  const scale = 1 + (seed % 50) / 10;
  const durationFacts = (base: number, perShare: boolean): unknown[] => {
    const facts: unknown[] = [];
    for (let year = 2010; year <= 2024; year += 1) {
      const value = (y: number, months: number): number => {
        const v = base * scale * (1 + (y - 2010) * 0.08) * (months / 12);
        return perShare ? Math.round(v * 100) / 100 : Math.round(v);
      };
      const accn10k = `${String(company.cik).padStart(10, '0')}-${String((year + 1) % 100).padStart(2, '0')}-000010`;
      for (const y of [year, year - 1, year - 2]) {
        facts.push({ start: `${y}-01-01`, end: `${y}-12-31`, val: value(y, 12), accn: accn10k, fy: year, fp: 'FY', form: '10-K', filed: `${year + 1}-02-15`, frame: `CY${y}` });
      }
      for (const [q, end] of [
        [1, '03-31'],
        [2, '06-30'],
        [3, '09-30'],
      ] as const) {
        const accn = `${String(company.cik).padStart(10, '0')}-${String(year % 100).padStart(2, '0')}-00000${q}`;
        const filed = `${year}-${String(q * 3 + 1).padStart(2, '0')}-30`;
        const start = `${year}-${String((q - 1) * 3 + 1).padStart(2, '0')}-01`;
        facts.push({ start, end: `${year}-${end}`, val: value(year, 3), accn, fy: year, fp: `Q${q}`, form: '10-Q', filed });
        if (q > 1) facts.push({ start: `${year}-01-01`, end: `${year}-${end}`, val: value(year, 3 * q), accn, fy: year, fp: `Q${q}`, form: '10-Q', filed });
      }
    }
    return facts;
  };
  const instantFacts = (base: number): unknown[] => {
    const facts: unknown[] = [];
    for (let year = 2010; year <= 2024; year += 1) {
      for (const [end, form, filed] of [
        [`${year}-03-31`, '10-Q', `${year}-04-30`],
        [`${year}-06-30`, '10-Q', `${year}-07-30`],
        [`${year}-09-30`, '10-Q', `${year}-10-30`],
        [`${year}-12-31`, '10-K', `${year + 1}-02-15`],
      ] as const) {
        facts.push({
          end,
          val: Math.round(base * scale * (1 + (year - 2010) * 0.05)),
          accn: `${String(company.cik).padStart(10, '0')}-${filed.slice(2, 4)}-000${end.slice(5, 7)}`,
          fy: year,
          fp: form === '10-K' ? 'FY' : 'Q',
          form,
          filed,
        });
      }
    }
    return facts;
  };
  for (const [concept, unit] of CORE) {
    const perShare = unit === 'USD/shares';
    gaap[concept] = { label: concept, units: { [unit]: durationFacts(perShare ? (concept.startsWith('Earnings') ? 2 : 0.8) : unit === 'shares' ? 1e8 : 1e9, perShare) } };
  }
  gaap.Liabilities = { label: 'Liabilities', units: { USD: instantFacts(2e9) } };
  gaap.StockholdersEquity = { label: 'Stockholders Equity', units: { USD: instantFacts(1e9) } };
  let size = JSON.stringify(gaap).length;
  for (let filler = 0; size < kb * 1024; filler += 1) {
    const facts = durationFacts(1e7 + filler, false);
    gaap[`OtherConcept${filler}`] = { label: `Other concept ${filler}`, units: { USD: facts } };
    size += JSON.stringify(facts).length + 60;
  }
  return {
    cik: company.cik,
    entityName: company.name,
    facts: {
      dei: {
        EntityCommonStockSharesOutstanding: {
          label: 'Shares',
          units: { shares: [{ end: '2025-01-20', val: Math.round(1e8 * scale), accn: `${String(company.cik).padStart(10, '0')}-25-000010`, fy: 2024, fp: 'FY', form: '10-K', filed: '2025-02-15' }] },
        },
      },
      'us-gaap': gaap,
    },
  };
}
