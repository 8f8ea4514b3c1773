import { FatalSourceError, SourceError, type ErrorType } from '../errors.js';
import type { FxRates } from '../extract/fx-rates.js';
import { companyCurrency } from '../extract/metric-currency.js';
import type { DailyClose } from '../extract/spark.js';
import { mergeSplits } from '../extract/split-adjust.js';
import type { UniverseEntry } from '../extract/universe.js';
import type { CompanyFactsExtract, QuoteRow, SplitEvent } from '../extract/types.js';
import type { StockUpdate } from '../db/stock-store.js';
import type { Store } from '../db/store.js';
import type { CompanyCache, CompanyData } from './company-data.js';
import { priceOutcomeOf, type Outcome, type PriceOutcome } from './outcome.js';
import type { LatePrices } from './prices/late-prices.js';
import type { PriceBook } from './prices/price-book.js';

export interface StockPipeline {
  companies: CompanyCache | null;
  /** Batched prices (spark), with the chart endpoint for what spark does not answer. */
  prices: PriceBook | null;
  /** Splits stored per symbol: a split the filings show that is not among them is asked of Yahoo's chart. Kept current as stocks are stored. */
  storedSplits: Map<string, SplitEvent[]>;
  store: Store;
  now: () => Date;
  /** The listing under which a company's filings are stored (the first of its CIK in the plan). */
  filingsOwner: (cik: number) => string | undefined;
  /** Prices still on their way when their stock's fundamentals were stored. */
  latePrices: LatePrices;
  /** Each stock's price outcome, apart from its fundamentals (the report's `sources.yahoo`). */
  onPrice: (symbol: string, outcome: PriceOutcome) => void;
  /** The config's adr_ratios: ordinary shares per listed share, by symbol. */
  adrRatios: Readonly<Record<string, number>>;
}

type Part<T> = { kind: 'data'; value: T } | { kind: 'no_data'; reason: string } | { kind: 'error'; source: string; error: SourceError };

/** A price that has not come yet: Yahoo paused while the stock waited for it. */
const PENDING: unique symbol = Symbol('pending');

/**
 * Refreshes one stock: EDGAR first (shared per CIK), then its price, stored together in one
 * transaction; when Yahoo pauses (a Retry-After) the price is stored when it comes, in its own, so
 * Yahoo's waits never hold up SEC's work. The outcome is README.md's ("Outcomes"): with SEC enabled
 * it is the fundamentals' (successful, skipped, failed), and the price's is recorded apart
 * (`onPrice`): a price that failed never fails the stock. Without SEC the price is the stock's data.
 */
export async function processStock(entry: UniverseEntry, pipeline: StockPipeline): Promise<Outcome> {
  // The price request is in flight already (the batch's spark requests start with the batch).
  const sec = await secPart(entry, pipeline);
  const facts = sec?.kind === 'data' ? sec.value.facts : undefined;
  const pricing = pricePart(entry, pipeline, facts !== undefined && showsNewSplit(facts, pipeline.storedSplits.get(entry.symbol) ?? []));
  // The price is waited for (Yahoo's pace paces the night, one transaction a stock) unless Yahoo
  // pauses: then the fundamentals are stored at once and the price when it comes.
  const stalled = pipeline.prices?.whenStalled().then((): typeof PENDING => PENDING);
  const price = sec === null || stalled === undefined ? await pricing : await Promise.race([pricing, stalled]);
  if (price !== PENDING) {
    await ratesFor(entry, facts, price, pipeline, stalled);
    return finish(entry, sec, price, pipeline);
  }
  const outcome = await finish(entry, sec, null, pipeline);
  pipeline.latePrices.add(
    entry.symbol,
    pricing
      .then(async (late) => {
        await ratesFor(entry, facts, late, pipeline, undefined);
        await storeLatePrice(entry, late, pipeline);
      })
      // A fatal error (a proxy asking for credentials, a full disk) after the stock was stored: its price's failure.
      .catch((error: unknown) => pipeline.onPrice(entry.symbol, { status: 'failed', ...lateFailure(error) })),
  );
  return outcome;
}

/**
 * A price that came is set against the filings with the night's exchange rate when their
 * currencies differ: the pair of a currency met for the first time is asked for now, and the
 * stock waits for the pairs asked so far (the stored currencies' ride with the first batch), unless
 * Yahoo pauses: then its ratios wait for the next night, noted.
 */
async function ratesFor(entry: UniverseEntry, facts: CompanyFactsExtract | undefined, price: Part<PriceData> | null, pipeline: StockPipeline, stalled: Promise<unknown> | undefined): Promise<void> {
  const fx = pipeline.prices?.fx;
  if (fx === undefined || price?.kind !== 'data') return;
  const reported = facts === undefined ? null : companyCurrency(facts.earnings);
  const quote = listingCurrency(entry, price.value.quote);
  if (reported !== null && quote !== null && reported !== quote) void fx.rate(reported, quote);
  await (stalled === undefined ? fx.allSettled() : Promise.race([fx.allSettled(), stalled]));
}

/** Stores what arrived and gives the stock's outcome; `price` null: not fetched (SEC only) or still on its way. */
async function finish(entry: UniverseEntry, sec: Part<CompanyData> | null, price: Part<PriceData> | null, pipeline: StockPipeline): Promise<Outcome> {
  if (price !== null) pipeline.onPrice(entry.symbol, priceOutcomeOf(price));
  // The stock's own parts: its fundamentals; its price only when SEC is not asked.
  const parts: Part<unknown>[] = sec === null ? (price === null ? [] : [price]) : [sec];
  // A 10-K document that could not be had fails the stock; its other data is stored all the same.
  if (sec?.kind === 'data' && sec.value.sectionsError !== undefined) parts.push({ kind: 'error', source: 'sec', error: sec.value.sectionsError });
  const failure = parts.find((part): part is Extract<Part<unknown>, { kind: 'error' }> => part.kind === 'error');
  const hasData = sec?.kind === 'data' || price?.kind === 'data';
  if (hasData) {
    const storageFailure = await store(entry, sec?.kind === 'data' ? sec.value : undefined, price?.kind === 'data' ? price.value : undefined, pipeline);
    if (storageFailure !== null && failure === undefined) return storageFailure;
  }
  if (failure !== undefined) {
    const { error, source } = failure;
    return { status: 'failed', symbol: entry.symbol, errorType: error.type, message: `${source}: ${error.message}`, attempts: error.attempts, source };
  }
  const notes = [sec, price].flatMap((part) => (part?.kind === 'no_data' ? [part.reason] : part?.kind === 'error' ? [`${part.source}: price not refreshed (${part.error.message})`] : []));
  if (!hasData) {
    // Nothing anywhere, and the price could not be asked: not known to have nothing.
    if (price?.kind === 'error')
      return { status: 'failed', symbol: entry.symbol, errorType: price.error.type, message: `yahoo: ${price.error.message}`, attempts: price.error.attempts, source: 'yahoo' };
    return { status: 'skipped', symbol: entry.symbol, reason: notes.join('; ') || 'no source has data' };
  }
  const unchanged = sec?.kind === 'data' && sec.value.unchanged;
  return { status: 'successful', symbol: entry.symbol, unchanged, notes };
}

/** A price that came after its stock's fundamentals were stored: stored alone, its outcome recorded. */
async function storeLatePrice(entry: UniverseEntry, price: Part<PriceData> | null, pipeline: StockPipeline): Promise<void> {
  if (price === null || pipeline.latePrices.isClosed) return;
  if (price.kind === 'data') {
    const failed = await store(entry, undefined, price.value, pipeline);
    if (failed !== null && failed.status === 'failed') {
      pipeline.onPrice(entry.symbol, { status: 'failed', errorType: failed.errorType, message: failed.message, attempts: 1 });
      return;
    }
  }
  pipeline.onPrice(entry.symbol, priceOutcomeOf(price));
}

function lateFailure(error: unknown): { errorType: ErrorType; message: string; attempts: number } {
  const cause = error instanceof FatalSourceError ? error.sourceError : error instanceof SourceError ? error : null;
  return cause === null ? { errorType: 'internal', message: `yahoo: ${String(error)}`, attempts: 1 } : { errorType: cause.type, message: `yahoo: ${cause.message}`, attempts: cause.attempts };
}

async function secPart(entry: UniverseEntry, pipeline: StockPipeline): Promise<Part<CompanyData> | null> {
  if (pipeline.companies === null) return null;
  if (entry.cik === null) return { kind: 'no_data', reason: 'sec: no CIK for this symbol' };
  try {
    const data = await pipeline.companies.get(entry.cik);
    return data.noData ? { kind: 'no_data', reason: 'sec: no submissions or facts (404)' } : { kind: 'data', value: data };
  } catch (error) {
    return failedPart('sec', error);
  } finally {
    pipeline.companies.release(entry.cik);
  }
}

/** A price and the daily closes that came with it. */
export interface PriceData {
  quote: QuoteRow;
  closes: DailyClose[];
}

async function pricePart(entry: UniverseEntry, pipeline: StockPipeline, withSplits: boolean): Promise<Part<PriceData> | null> {
  if (pipeline.prices === null) return null;
  try {
    const answer = await pipeline.prices.get(entry.symbol, withSplits);
    if (answer.kind === 'data') return { kind: 'data', value: { quote: answer.quote, closes: answer.closes } };
    if (answer.kind === 'no_data') return answer;
    return failedPart('yahoo', answer.error);
  } catch (error) {
    return failedPart('yahoo', error);
  }
}

/**
 * The filings show a split (restated per-share values) that no stored split accounts for: Yahoo's
 * chart is asked for its split events, to date and size it exactly.
 */
export function showsNewSplit(facts: CompanyFactsExtract, stored: readonly SplitEvent[]): boolean {
  return facts.splits.length > 0 && mergeSplits(stored, facts.splits).length > stored.length;
}

function failedPart(source: string, error: unknown): Part<never> {
  if (error instanceof SourceError) {
    if (error.fatal) throw new FatalSourceError(error);
    return { kind: 'error', source, error };
  }
  // A bug in extraction must not take the run down: it is this stock's failure, with the message.
  return { kind: 'error', source, error: new SourceError('internal', (error as Error | null | undefined)?.message ?? String(error)) };
}

const US_EXCHANGES = /^(NYSE|Nasdaq)\b/i;

/** The currency of a listing's price: the quote's; spark names none, and every NYSE and Nasdaq listing is quoted in US dollars. */
export function listingCurrency(entry: UniverseEntry, quote: QuoteRow | null): string | null {
  return quote?.currency ?? (US_EXCHANGES.test(entry.exchange ?? '') ? 'USD' : null);
}

/**
 * The update one stock's data makes, whichever way it arrived (per company, bulk archive, demo):
 * the splits are Yahoo's split events where it has them and the splits the restated filings show
 * (split-adjust.ts); the store's pure step (extract/stock-rows.ts) puts the per-share values on
 * their basis.
 */
export function buildUpdate(
  entry: UniverseEntry,
  company: Partial<CompanyData> | undefined,
  price: PriceData | undefined,
  isPrimaryListing: boolean,
  storedSplits: readonly SplitEvent[] = [],
  pricing: { fxRates?: FxRates; adsRatio?: number | null } = {},
): StockUpdate {
  const facts = company?.facts;
  const currency = price === undefined ? null : listingCurrency(entry, price.quote);
  const quote = price === undefined ? undefined : { ...price.quote, currency };
  const fromChart = quote !== undefined && quote.splits.length > 0;
  const yahooSplits = fromChart ? quote.splits : storedSplits.filter((split) => split.source === 'yahoo');
  // With the filings: Yahoo's splits and the inferred ones. Without them (the company filed nothing
  // new), a chart's split events still replace Yahoo's stored ones, and the store puts the stored
  // per-share values on the new basis.
  const splits =
    facts !== undefined
      ? mergeSplits(yahooSplits, facts.splits)
      : fromChart
        ? mergeSplits(
            quote.splits,
            storedSplits.filter((split) => split.source === 'restatement'),
          )
        : undefined;
  return {
    symbol: entry.symbol,
    cik: entry.cik,
    name: entry.name,
    exchange: entry.exchange,
    fundamentalsRefreshed: company?.fundamentalsRefreshed ?? false,
    ...(company?.profile ? { profile: company.profile } : {}),
    ...(facts && splits ? { earnings: facts.earnings, sharesOutstanding: facts.sharesOutstanding } : {}),
    ...(splits ? { splits } : {}),
    ...(company?.filings && isPrimaryListing ? { filings: company.filings } : {}),
    ...(company?.sections && isPrimaryListing ? { sections: company.sections } : {}),
    ...(company ? { latestAccession: company.latestAccession } : {}),
    ...(company?.validators ? { validators: company.validators } : {}),
    ...(quote ? { quote } : {}),
    ...(price && price.closes.length > 0 ? { closes: price.closes } : {}),
    ...(pricing.fxRates ? { fxRates: pricing.fxRates } : {}),
    ...(pricing.adsRatio != null ? { adsRatio: pricing.adsRatio } : {}),
  };
}

/** Writes what arrived in one transaction; a storage failure is this stock's failure. */
async function store(entry: UniverseEntry, company: CompanyData | undefined, price: PriceData | undefined, pipeline: StockPipeline): Promise<Outcome | null> {
  const isPrimaryListing = entry.cik !== null && pipeline.filingsOwner(entry.cik) === entry.symbol;
  const update = buildUpdate(entry, company, price, isPrimaryListing, pipeline.storedSplits.get(entry.symbol), {
    fxRates: pipeline.prices?.fx.rates,
    adsRatio: pipeline.adrRatios[entry.symbol] ?? null,
  });
  const failed = await saveUpdate(pipeline.store, update, pipeline.now());
  // A price stored after its fundamentals merges its splits with those just stored.
  if (failed === null && update.splits !== undefined) pipeline.storedSplits.set(entry.symbol, update.splits);
  return failed;
}

/**
 * Stores one update atomically. A full or failing disk stops the run (FatalSourceError); any other
 * storage error is this stock's failure, and the rolled-back transaction leaves nothing half written.
 */
export async function saveUpdate(store: Store, update: StockUpdate, now: Date): Promise<Outcome | null> {
  try {
    await store.save(update, now.toISOString());
    return null;
  } catch (error) {
    // The transaction was rolled back: nothing of this stock is half written.
    if (store.failureKind(error) === 'fatal') {
      const code = (error as { code?: string | number }).code;
      throw new FatalSourceError(new SourceError('storage', `cannot write the database${code === undefined ? '' : ` (${code})`}: ${store.explainError(error)}`, { fatal: true }), 'database');
    }
    return {
      status: 'failed',
      symbol: update.symbol,
      errorType: 'storage',
      message: `database: ${store.explainError(error)}`,
      attempts: 1,
      source: 'database',
    };
  }
}
