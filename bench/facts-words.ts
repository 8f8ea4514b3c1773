/**
 * Seeded randomness and the words of the bench's generated concepts. Concept names, labels and
 * descriptions are made of the words of US GAAP element names (Accounts, Payable, Accrued…) so a
 * body compresses like a real one: taxonomy text repeats words, not whole strings.
 */

/** mulberry32: a small, fast, seeded generator; the same seed gives the same market on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller) from a uniform generator. */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A 32-bit hash of a string (FNV-1a), to seed per-period values from their keys. */
export function hashOf(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619) >>> 0;
  return hash;
}

/**
 * Pieces of US GAAP element names: real names are built of long recurring runs
 * (ShareBasedCompensationArrangementByShareBasedPaymentAward…, IncreaseDecreaseIn…), which is
 * much of why a body's text compresses about 5×.
 */
const NAME_PIECES = (
  'ShareBasedCompensationArrangementByShareBasedPaymentAward IncreaseDecreaseIn DefinedBenefitPlan OperatingLease FinanceLease ' +
  'AvailableForSaleSecurities DebtSecurities DeferredTaxAssets DeferredTaxLiabilities IncomeTaxReconciliation EffectiveIncomeTaxRate ' +
  'FairValueMeasuredOnRecurringBasis FiniteLivedIntangibleAssets PropertyPlantAndEquipment LongTermDebt ShortTermBorrowings ' +
  'LineOfCreditFacility BusinessAcquisition BusinessCombinationRecognizedIdentifiableAssetsAcquiredAndLiabilitiesAssumed ' +
  'StockRepurchaseProgram TreasuryStock CommonStock PreferredStock AccumulatedOtherComprehensiveIncome OtherComprehensiveIncome ' +
  'RevenueRemainingPerformanceObligation ContractWithCustomer AccountsReceivable AccountsPayable AccruedLiabilities InventoryNet ' +
  'Goodwill Impairment Restructuring EmployeeRelated UnrecognizedTaxBenefits Derivative HedgedItem NotionalAmount Segment ' +
  'Options Granted Exercised Forfeited Vested Nonvested Outstanding WeightedAverage GrantDateFairValue IntrinsicValue ' +
  'ExercisePrice RemainingContractualTerm Expense Benefit Payments Proceeds Repayments Issuance Purchase Sale Gain Loss ' +
  'Current Noncurrent Net Gross Accumulated Amortization Depreciation Liability Asset Assets Liabilities Value Amount Percentage ' +
  'Rate Period Number Shares PerShare Before Tax AfterTax Domestic Foreign Federal State Deferred Current Maturity ' +
  'YearOne YearTwo YearThree YearFour YearFive AfterYearFive Thereafter Total Other Including Excluding AttributableToParent ' +
  'NoncontrollingInterest Cost Costs Revenue Interest Paid Capitalized Carryforward ValuationAllowance'
).split(/\s+/);

/** Phrases of the taxonomy's documentation (element descriptions repeat a small language). */
const DESCRIPTION_PHRASES = [
  'Amount of',
  'Amount, after tax, of',
  'Amount, before tax, of',
  'Number of',
  'Percentage of',
  'increase (decrease) in',
  'expense (benefit)',
  'classified as current',
  'classified as noncurrent',
  'attributable to parent',
  'attributable to noncontrolling interest',
  'of the entity',
  'recognized in the period',
  'for the period',
  'as of the balance sheet date',
  'within one year or the normal operating cycle, if longer',
  'after one year or beyond the normal operating cycle, if longer',
  'excluding portion attributable to noncontrolling interest',
  'including portion attributable to noncontrolling interest',
  'under share-based payment arrangement',
  'net of accumulated depreciation, depletion and amortization',
  'of financial instruments measured at fair value on a recurring basis',
  'to be recognized in income',
  'from continuing operations',
  'in the statement of financial position',
  'for the reporting period',
  'and',
  'or',
  'of',
  'the',
  'to',
  'which',
  'is',
];

function pick<T>(list: readonly T[], random: () => number): T {
  return list[Math.floor(random() * list.length)] as T;
}

const words = (name: string): string => name.replace(/([a-z])([A-Z])/g, '$1 $2');

/** A concept's name, label and description, about the given lengths (labels and descriptions vary ±50 %). */
export function conceptText(random: () => number, labelChars: number, descriptionChars: number): { name: string; label: string; description: string } {
  const pieces: string[] = [];
  const want = labelChars * 0.8 * (0.5 + random());
  while (words(pieces.join('')).length < want) pieces.push(pick(NAME_PIECES, random));
  const name = pieces.join('');
  const label = pieces.map(words).join(', ');
  const description: string[] = [pick(DESCRIPTION_PHRASES.slice(0, 5), random), words(name).toLowerCase()];
  const wantDescription = descriptionChars * (0.5 + random());
  while (description.join(' ').length < wantDescription) description.push(pick(DESCRIPTION_PHRASES.slice(5), random));
  return { name, label, description: `${description.join(' ')}.` };
}
