import { deflateRawSync } from 'node:zlib';
import type { SyntheticCompany } from '../dev/stand-in/datasets.js';
import { syntheticCompanies } from '../dev/stand-in/datasets.js';
import { factsOf, filingsOf, growingValue, valueOf, type ConceptPlan, type Fact, type Filing } from './facts-body.js';
import { measureShape, type FactsShape } from './facts-shape.js';
import { conceptText, normal, seededRandom } from './facts-words.js';

/**
 * The bench's companyfacts: bodies whose size and shape follow the real ones (bench/README.md,
 * "The generated market", says how each parameter was measured with `npm run shape`). A company's
 * size is drawn from a lognormal spread (most companies around a megabyte, a tenth above the large
 * caps' 3.5 MB); its years of filings grow with its size; then concepts shaped like the real ones
 * (quarterly or annual, duration or instant, statements with comparatives or notes without, a few
 * years of life each) are added until the body reaches its size. Seeded by the company's index:
 * company N is the same body in every market size and on every machine.
 */
export const MARKET_SHAPE = {
  /** Bump when the output changes: the bench's archive cache is keyed by it. */
  version: 2,
  /** Lognormal body size, compact JSON: median and mean in KB, clamped to [minKb, maxKb]. */
  medianKb: 1200,
  meanKb: 1700,
  minKb: 120,
  maxKb: 12_000,
  /** Years of filings: 1 + yearsPerMb × size in MB, clamped to 2..maxYears (XBRL began in 2009). */
  yearsPerMb: 4,
  maxYears: 17,
  /** The last full fiscal year, and the 10-Qs of the year after it already filed. */
  lastYear: 2025,
  openQuarters: 2,
  /** Of the concepts: reported in 10-Qs too; instants; with comparatives (statements). */
  quarterlyShare: 0.72,
  instantShare: 0.5,
  comparativesShare: 0.75,
  /** A concept's life in years: mean lifeBase + years × lifePerYear (real: in ~30 % of a long filer's filings, ~50 % of a young one's). */
  lifeBase: 2,
  lifePerYear: 0.3,
  /** Concepts whose life runs to the newest filings. */
  currentShare: 0.6,
  /** Concepts whose value stays the same from period to period. */
  constantShare: 0.2,
  /** Units of the concepts beyond the core (the rest USD). */
  units: { shares: 0.05, 'USD/shares': 0.03, pure: 0.04 },
  labelChars: 57,
  descriptionChars: 205,
  /** Companies reporting a loss; companies declaring dividends. */
  lossShare: 0.25,
  dividendShare: 0.4,
} as const;

/** What the cache of generated archives is keyed by: the generator's version, or the fixed size. */
export function marketKey(fixedKb: number | undefined): string {
  return fixedKb === undefined ? `market-v${MARKET_SHAPE.version}` : `fixed-${fixedKb}kb-v${MARKET_SHAPE.version}`;
}

/** The lognormal's sigma from its median and mean: mean = median · e^(σ²/2). */
const SIGMA = Math.sqrt(2 * Math.log(MARKET_SHAPE.meanKb / MARKET_SHAPE.medianKb));

/** Company `index`'s body size in KB. */
export function bodyKb(index: number): number {
  const kb = MARKET_SHAPE.medianKb * Math.exp(SIGMA * normal(seededRandom(index * 7919 + 17)));
  return Math.round(Math.min(MARKET_SHAPE.maxKb, Math.max(MARKET_SHAPE.minKb, kb)));
}

/** The plans of the concepts the project reads, and how the company's figures are made. */
export interface CorePlans {
  firstYear: number;
  lastYear: number;
  /** The unit money is stated in (1,000 or 1,000,000) and the company's quarterly revenue. */
  step: number;
  revenueBase: number;
  gaap: ConceptPlan[];
  revenue: ConceptPlan;
  netIncome: ConceptPlan;
  eps: ConceptPlan;
  liabilities: ConceptPlan;
  equity: ConceptPlan;
  sharesAt: (year: number, quarter: number) => number;
}

const usd = (name: string, quarterValue: ConceptPlan['quarterValue'], years: [number, number], instant = false): ConceptPlan => ({
  name,
  unit: 'USD',
  instant,
  quarterly: true,
  comparatives: true,
  firstYear: years[0],
  lastYear: years[1],
  quarterValue,
  additive: true,
  decimals: 0,
});

/** The core concepts of company `index` with `years` of filings: statements reported every quarter of its life. */
export function corePlans(index: number, kb: number): CorePlans {
  const random = seededRandom(index * 104_729 + 3);
  const years = Math.min(MARKET_SHAPE.maxYears, Math.max(2, Math.round(1 + (MARKET_SHAPE.yearsPerMb * kb) / 1024)));
  const lastYear = MARKET_SHAPE.lastYear;
  const firstYear = lastYear - years + 1;
  const life: [number, number] = [firstYear, lastYear + 1];
  const name = (concept: string) => `${index}/${concept}`;
  const revenueBase = 10 ** (6.5 + 2.5 * random());
  const margin = random() < MARKET_SHAPE.lossShare ? -0.05 - 0.2 * random() : 0.03 + 0.25 * random();
  const growth = 0.12 * random() - 0.02;
  const sharesBase = 10 ** (7 + 2 * random());
  // Large filers state their figures in millions, the others in thousands (about half the facts each, measured).
  const step = revenueBase >= 3e8 ? 1e6 : 1e3;
  const revenueQuarter = growingValue(name('revenue'), revenueBase, growth, 0.2, firstYear, step);
  const incomeQuarter = growingValue(name('income'), revenueBase * margin, growth, 0.3, firstYear, step);
  const sharesAt = (year: number, quarter: number) => Math.round((sharesBase * (1 + 0.01 * (year - firstYear + quarter / 4))) / 1000) * 1000;
  const liabilitiesAt = growingValue(name('liabilities'), revenueBase * (2 + 4 * random()), growth, 0.1, firstYear, step);
  const equityAt = growingValue(name('equity'), revenueBase * (1 + 3 * random()), growth, 0.1, firstYear, step);
  const revenueName = random() < 0.6 ? 'RevenueFromContractWithCustomerExcludingAssessedTax' : 'Revenues';
  const revenue = usd(revenueName, revenueQuarter, life);
  const netIncome = usd('NetIncomeLoss', incomeQuarter, life);
  const perShare = (concept: string, quarterValue: ConceptPlan['quarterValue']): ConceptPlan => ({ ...usd(concept, quarterValue, life), unit: 'USD/shares', decimals: 2 });
  const eps = perShare('EarningsPerShareDiluted', (y, q) => Math.round((incomeQuarter(y, q) / (sharesAt(y, q) * 1.01)) * 100) / 100);
  const sharesPlan = (concept: string, factor: number): ConceptPlan => ({ ...usd(concept, (y, q) => Math.round(sharesAt(y, q) * factor), life), unit: 'shares', additive: false });
  const liabilities = usd('Liabilities', liabilitiesAt, life, true);
  const equity = usd('StockholdersEquity', equityAt, life, true);
  const gaap = [
    revenue,
    usd('CostOfRevenue', (y, q) => revenueQuarter(y, q) * 0.6, life),
    usd('OperatingIncomeLoss', (y, q) => incomeQuarter(y, q) * 1.3, life),
    netIncome,
    eps,
    perShare('EarningsPerShareBasic', (y, q) => Math.round((incomeQuarter(y, q) / sharesAt(y, q)) * 100) / 100),
    sharesPlan('WeightedAverageNumberOfDilutedSharesOutstanding', 1.01),
    sharesPlan('WeightedAverageNumberOfSharesOutstandingBasic', 1),
    usd('NetCashProvidedByUsedInOperatingActivities', (y, q) => Math.abs(incomeQuarter(y, q)) * 1.4, life),
    liabilities,
    equity,
    usd('LiabilitiesAndStockholdersEquity', (y, q) => liabilitiesAt(y, q) + equityAt(y, q), life, true),
    usd('Assets', (y, q) => liabilitiesAt(y, q) + equityAt(y, q), life, true),
    { ...sharesPlan('CommonStockSharesOutstanding', 1), instant: true },
  ];
  if (random() < MARKET_SHAPE.dividendShare) gaap.push(perShare('CommonStockDividendsPerShareDeclared', (y) => Math.round(0.05 * (1 + (y - firstYear) * 0.1) * 100) / 100));
  return { firstYear, lastYear, step, revenueBase, gaap, revenue, netIncome, eps, liabilities, equity, sharesAt };
}

/** A concept of the rest of the body, its kind drawn with the measured shares. */
function fillerPlan(random: () => number, core: CorePlans, taken: Set<string>, index: number): { plan: ConceptPlan; label: string; description: string } {
  const { firstYear, lastYear } = core;
  let text = conceptText(random, MARKET_SHAPE.labelChars, MARKET_SHAPE.descriptionChars);
  while (taken.has(text.name) || text.label.split(' ').length < 5) text = conceptText(random, MARKET_SHAPE.labelChars, MARKET_SHAPE.descriptionChars);
  taken.add(text.name);
  const years = lastYear + 1 - firstYear + 1;
  const life = Math.min(years, 1 + Math.floor(-Math.log(1 - random()) * (MARKET_SHAPE.lifeBase + MARKET_SHAPE.lifePerYear * years - 1)));
  // Most concepts are still in use: their life runs to the newest filings.
  const start = random() < MARKET_SHAPE.currentShare ? lastYear + 2 - life : firstYear + Math.floor(random() * (years - life + 1));
  const draw = random();
  const { shares, pure } = MARKET_SHAPE.units;
  const perShare = MARKET_SHAPE.units['USD/shares'];
  const unit = draw < shares ? 'shares' : draw < shares + perShare ? 'USD/shares' : draw < shares + perShare + pure ? 'pure' : 'USD';
  const magnitude = { shares: 10 ** (5 + 4 * random()), 'USD/shares': 0.05 + 5 * random(), pure: 0.5 * random(), USD: (random() < 0.15 ? -1 : 1) * core.revenueBase * 10 ** (-3.5 * random()) }[unit];
  const plan: ConceptPlan = {
    name: text.name,
    unit,
    instant: random() < MARKET_SHAPE.instantShare,
    quarterly: random() < MARKET_SHAPE.quarterlyShare,
    comparatives: random() < MARKET_SHAPE.comparativesShare,
    firstYear: start,
    lastYear: start + life - 1,
    // Some concepts hold a value for years (a statutory rate, a par value, a count of segments).
    quarterValue: random() < MARKET_SHAPE.constantShare ? () => magnitude : growingValue(`${index}/${text.name}`, magnitude, 0.05, 0.4, firstYear, core.step),
    additive: unit === 'USD',
    decimals: unit === 'pure' ? 3 : unit === 'USD/shares' ? 2 : 0,
  };
  return { plan, label: text.label, description: text.description };
}

const conceptJson = (name: string, label: string, description: string, unit: string, facts: Fact[]): string =>
  `${JSON.stringify(name)}:{"label":${JSON.stringify(label)},"description":${JSON.stringify(description)},"units":{${JSON.stringify(unit)}:${JSON.stringify(facts)}}}`;

/** The cover's shares (one per filing, a few weeks after its period) and the public float (each 10-K). */
function deiJson(core: CorePlans, filings: Filing[]): string {
  const shares = filings.map((filing) => {
    const [year, quarter] = filing.quarter === 4 ? [filing.fy + 1, 1] : [filing.fy, filing.quarter + 1];
    const fact: Fact = {
      end: filing.filed,
      val: core.sharesAt(year, quarter),
      accn: filing.accn,
      fy: filing.fy,
      fp: filing.quarter === 4 ? 'FY' : `Q${filing.quarter}`,
      form: filing.form,
      filed: filing.filed,
    };
    return fact;
  });
  const float = filings
    .filter((filing) => filing.form === '10-K')
    .map((filing): Fact => ({
      end: `${filing.fy}-06-30`,
      val: Math.round(core.sharesAt(filing.fy, 2) * 25),
      accn: filing.accn,
      fy: filing.fy,
      fp: 'FY',
      form: filing.form,
      filed: filing.filed,
      frame: `CY${filing.fy}Q2I`,
    }));
  return [
    conceptJson(
      'EntityCommonStockSharesOutstanding',
      'Entity Common Stock, Shares Outstanding',
      'Indicate number of shares or other units outstanding of each of registrant classes of capital or common stock.',
      'shares',
      shares,
    ),
    conceptJson('EntityPublicFloat', 'Entity Public Float', 'The aggregate market value of the voting and non-voting common equity held by non-affiliates.', 'USD', float),
  ].join(',');
}

/**
 * Company `index`'s companyfacts as compact JSON text, as SEC serves it: about `kb` KB (default:
 * its place in the lognormal spread, {@link bodyKb}).
 */
export function marketFactsText(company: SyntheticCompany, index: number, kb = bodyKb(index)): string {
  const core = corePlans(index, kb);
  const random = seededRandom(index * 2_654_435_761 + 11);
  const filings = filingsOf(company.cik, core.firstYear, core.lastYear, MARKET_SHAPE.openQuarters, random);
  const pieces = new Map<string, string>();
  for (const plan of core.gaap) pieces.set(plan.name, conceptJson(plan.name, plan.name.replace(/([a-z])([A-Z])/g, '$1 $2'), `Amount of ${plan.name}.`, plan.unit, factsOf(plan, filings)));
  const dei = deiJson(core, filings);
  let size = dei.length + [...pieces.values()].reduce((sum, piece) => sum + piece.length + 1, 0);
  const taken = new Set(pieces.keys());
  while (size < kb * 1024) {
    const { plan, label, description } = fillerPlan(random, core, taken, index);
    const facts = factsOf(plan, filings);
    if (facts.length === 0) continue;
    const piece = conceptJson(plan.name, label, description, plan.unit, facts);
    pieces.set(plan.name, piece);
    size += piece.length + 1;
  }
  const gaap = [...pieces.keys()].sort().map((name) => pieces.get(name) as string);
  return `{"cik":${company.cik},"entityName":${JSON.stringify(company.name)},"facts":{"dei":{${dei}},"us-gaap":{${gaap.join(',')}}}}`;
}

/** The figures company `index`'s rows should carry: FY and Q1–Q4 of every year its statements cover. */
export function intendedFigures(index: number, kb = bodyKb(index)): Map<string, { revenue: number; net_income: number; eps_diluted: number; total_liabilities: number; stockholders_equity: number }> {
  const core = corePlans(index, kb);
  const figures = new Map<string, { revenue: number; net_income: number; eps_diluted: number; total_liabilities: number; stockholders_equity: number }>();
  for (let year = core.firstYear - 2; year <= core.lastYear + 1; year += 1) {
    for (const [period, from, to] of [
      ['FY', 1, 4],
      ['Q1', 1, 1],
      ['Q2', 2, 2],
      ['Q3', 3, 3],
      ['Q4', 4, 4],
    ] as const) {
      const duration = (plan: ConceptPlan) => valueOf(plan, [year, from, year, to]);
      const instant = (plan: ConceptPlan) => valueOf(plan, [year, to, year, to]);
      figures.set(`${year}${period}`, {
        revenue: duration(core.revenue),
        net_income: duration(core.netIncome),
        eps_diluted: duration(core.eps),
        total_liabilities: instant(core.liabilities),
        stockholders_equity: instant(core.equity),
      });
    }
  }
  return figures;
}

/** The shapes of the first `count` companies of the generated market, their sizes and their compression together. */
export function sampleMarket(count: number): { shapes: FactsShape[]; meanKb: number; medianKb: number; compression: number } {
  let [plain, deflated] = [0, 0];
  const shapes = syntheticCompanies(count).map((company, index) => {
    const text = Buffer.from(marketFactsText(company, index));
    plain += text.length;
    deflated += deflateRawSync(text).length;
    return measureShape(text.toString('utf8'));
  });
  const kbs = shapes.map((shape) => shape.kb).sort((a, b) => a - b);
  return { shapes, meanKb: plain / 1024 / count, medianKb: kbs[Math.floor(count / 2)] ?? 0, compression: plain / deflated };
}

/** The shares outstanding company `index`'s cover reports last (the newest 10-Q's, a few weeks after its quarter). */
export function intendedSharesOutstanding(index: number, kb = bodyKb(index)): number {
  const core = corePlans(index, kb);
  return core.sharesAt(core.lastYear + 1, MARKET_SHAPE.openQuarters + 1);
}
