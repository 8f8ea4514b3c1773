import type { Store, StoredStockState } from '../db/store.js';
import { ArchiveUnavailableError } from '../errors.js';
import type { SplitEvent } from '../extract/types.js';
import type { UniverseEntry } from '../extract/universe.js';
import type { SecSource } from '../sources/sec.js';
import type { YahooSource } from '../sources/yahoo.js';
import { plural } from '../util/text.js';
import type { BulkFigures } from './bulk-archives.js';
import { runBulk } from './bulk.js';
import { CompanyCache, fetchCompanyData } from './company-data.js';
import type { JobDeps, JobOptions } from './job.js';
import type { Outcome } from './outcome.js';
import { filingsOwners, type RefreshPlan } from './plan.js';
import { refreshCompanies } from './per-company.js';
import type { FxAnswer } from '../extract/fx-rates.js';
import { PriceBook } from './prices/price-book.js';
import type { StockPipeline } from './process-stock.js';
import { LatePrices } from './prices/late-prices.js';
import { OutcomeLedger, RunControl, type PriceCounts } from './run-control.js';

/*
 * The one engine of a night, whichever way the fundamentals come: the plan's stocks go to the
 * fundamentals providers in turn (the bulk archives, when chosen, then company by company for
 * whatever they could not serve), failed stocks get a second pass, and the outcomes, the stop,
 * the time budget and the failure limits are kept once for the whole night (RunControl,
 * OutcomeLedger). Prices come with each provider's stocks from the PriceBook (spark, then chart).
 */

export interface RefreshResult {
  /** One outcome per stock that was started, in plan order. */
  outcomes: Outcome[];
  status: 'completed' | 'aborted' | 'interrupted';
  /** Why the run was aborted (status "aborted"). */
  abortReason: string | null;
  /** Set when the time budget stopped the run early. */
  budgetExhausted: boolean;
  /** Stocks of the plan that were never started (abort, interruption, time budget). */
  notStarted: number;
  /** Symbols that failed in the main pass and were tried again. */
  retried: string[];
  /** The night's prices, apart from the stocks' outcomes. */
  prices: PriceCounts;
}

/** What the engine needs of the stored state and the sources. */
export interface NightParts {
  store: Store;
  states: Map<string, StoredStockState>;
  sec: SecSource | null;
  yahoo: YahooSource | null;
  /** The companies the daily index says filed; null: not known (every company is checked). */
  changed: Set<number> | null;
  storedSplits: Map<string, SplitEvent[]>;
  latestCloseDates: Map<string, string>;
  /** The stored companies' reporting currencies: the night's exchange rates. @default [] */
  reportingCurrencies?: readonly string[];
  /** Settles when the run lock is lost: the night aborts. @default never */
  lockLost?: Promise<string> | undefined;
}

/** One night's shared state, handed to each provider. */
export interface Night {
  plan: RefreshPlan;
  parts: NightParts;
  options: JobOptions;
  deps: JobDeps;
  control: RunControl;
  ledger: OutcomeLedger;
  /** Prices still on their way when their stocks' fundamentals were stored. */
  latePrices: LatePrices;
  /** The exchange-rate pairs answered this night, by pair, whichever price book asked (the report's `fx_rates`). */
  fxRates: Map<string, FxAnswer>;
}

/**
 * A way the fundamentals arrive. It refreshes `entries` (prices included), records each stock's
 * outcome in the night's ledger, and returns the stocks it could not serve, for the next provider.
 */
export interface FundamentalsProvider {
  readonly name: 'bulk' | 'per-company';
  refresh(entries: UniverseEntry[], night: Night): Promise<UniverseEntry[]>;
}

/**
 * Runs the plan through `providers` in order, then the second pass over the stocks that failed
 * company by company. `bulkReason` set: the archives come first; their figures are returned.
 */
export async function runNight(plan: RefreshPlan, parts: NightParts, options: JobOptions, deps: JobDeps, bulkReason: string | null): Promise<{ result: RefreshResult; bulk: BulkFigures | null }> {
  const budgetMinutes = options.config.processing.max_runtime_minutes;
  const control = new RunControl({
    now: deps.now,
    deadline: budgetMinutes === undefined ? null : new Date(deps.now().getTime() + budgetMinutes * 60_000),
    signal: deps.signal,
    lockLost: parts.lockLost,
  });
  const { error_handling: limits } = options.config;
  const ledger = new OutcomeLedger(plan.entries.length, control, {
    limits: { maxConsecutiveFailures: limits.max_consecutive_failures, continueOnError: limits.continue_on_error },
    onStockDone: deps.events?.onStockDone,
  });
  const night: Night = { plan, parts, options, deps, control, ledger, latePrices: new LatePrices(), fxRates: new Map() };
  const bulk = bulkReason === null ? null : new BulkProvider(bulkReason);
  const perCompany = new PerCompanyProvider();
  try {
    // A bulk rebuild knows its stocks' outcomes only at its end: its progress is in bytes and companies until then.
    if (bulk === null) deps.events?.onPlan?.(plan);
    let pending = plan.entries;
    for (const provider of bulk === null ? [perCompany] : [bulk, perCompany]) {
      if (pending.length === 0 || control.stopped()) break;
      pending = await provider.refresh(pending, night);
    }
    const retried = await perCompany.secondPass(night);
    await settleLatePrices(night);
    perCompany.close();
    const outcomes = ledger.ordered(plan.entries);
    return {
      result: {
        outcomes,
        status: control.status(),
        abortReason: control.abortReason,
        budgetExhausted: control.budgetExhausted,
        notStarted: plan.entries.length - outcomes.length,
        retried,
        prices: {
          ...ledger.priceCounts(),
          fx_rates: [...night.fxRates.values()].map((answer) => (answer.kind === 'rate' ? { pair: answer.pair, rate: answer.rate, date: answer.date } : { pair: answer.pair, error: answer.reason })),
        },
      },
      bulk: bulk?.figures ?? null,
    };
  } finally {
    control.dispose();
  }
}

/** The rebuild from SEC's bulk archives (bulk.ts); an archive SEC has not published sends every stock on. */
class BulkProvider implements FundamentalsProvider {
  readonly name = 'bulk';
  figures: BulkFigures;

  constructor(reason: string) {
    this.figures = { reason, archives: [], extraction_seconds: 0, fallback_stocks: 0, note: null };
  }

  async refresh(entries: UniverseEntry[], night: Night): Promise<UniverseEntry[]> {
    const { parts, options, deps } = night;
    if (parts.sec === null) return entries;
    deps.log.info(`rebuilding from SEC's bulk archives: ${this.figures.reason}`);
    let fallback: UniverseEntry[];
    try {
      const rebuilt = await runBulk({
        entries,
        sec: parts.sec,
        prices: newPriceBook(night),
        store: parts.store,
        storedSplits: parts.storedSplits,
        sections: options.config.processing.fetch_filing_sections ? await parts.store.sectionAccessions() : null,
        now: deps.now,
        control: night.control,
        ledger: night.ledger,
        onProgress: (message) => deps.log.info(message),
        onOutcomes: () => deps.events?.onPlan?.(night.plan),
        adrRatios: options.config.adr_ratios,
      });
      const broken = rebuilt.archives.flatMap((archive) => (archive.error === null ? [] : [`${archive.name}: ${archive.error}`]));
      fallback = rebuilt.fallback;
      this.figures = {
        ...this.figures,
        archives: rebuilt.archives,
        extraction_seconds: rebuilt.extraction_seconds,
        fallback_stocks: fallback.length,
        note: broken.length > 0 ? broken.join('; ') : null,
      };
    } catch (error) {
      if (!(error instanceof ArchiveUnavailableError)) throw error;
      deps.log.warn(`${error.message}: refreshing company by company instead`);
      deps.events?.onPlan?.(night.plan);
      this.figures = { ...this.figures, fallback_stocks: entries.length, note: error.message };
      return entries;
    }
    if (fallback.length > 0 && !night.control.stopped()) deps.log.info(`refreshing ${plural(fallback.length, 'stock', 'stocks')} company by company (an archive did not reach them)`);
    return fallback;
  }
}

/** Two SEC requests per company (per-company.ts), and the second pass over its failures. */
class PerCompanyProvider implements FundamentalsProvider {
  readonly name = 'per-company';
  private readonly served: UniverseEntry[] = [];
  private pipeline: StockPipeline | null = null;

  async refresh(entries: UniverseEntry[], night: Night): Promise<UniverseEntry[]> {
    this.served.push(...entries);
    await refreshCompanies(entries, await this.pipelineFor(night), perCompanyOptions(night), perCompanyRun(night));
    return [];
  }

  /** The stocks it refreshed that failed get one more try, at the end, not counted toward the abort limits. */
  async secondPass(night: Night): Promise<string[]> {
    const failed = this.served.filter((entry) => night.ledger.get(entry.symbol)?.status === 'failed');
    if (!night.options.config.error_handling.retry_failed_stocks || failed.length === 0 || night.control.stopped() || this.pipeline === null) return [];
    const retried = failed.map((entry) => entry.symbol);
    night.deps.events?.onRetryPass?.(retried);
    night.ledger.forget(retried);
    // All at once (no batches, no pauses), as a last chance for transient trouble.
    const { onBatchStart: _unused, ...run } = perCompanyRun(night);
    await refreshCompanies(failed, this.pipeline, { ...perCompanyOptions(night), delayBetweenBatchesMs: 0, batchSize: failed.length }, run, false);
    for (const entry of failed) {
      if (night.ledger.get(entry.symbol) === undefined) {
        night.ledger.record({ status: 'failed', symbol: entry.symbol, errorType: 'internal', message: 'retry pass stopped before this stock', attempts: 0, source: 'runner' }, false);
      }
    }
    return retried;
  }

  /** The night is over: price requests still queued for stocks nobody will take are dropped. */
  close(): void {
    this.pipeline?.prices?.close();
  }

  /** The companies and prices of the whole night, made once: a CIK fetched once, however many listings. */
  private async pipelineFor(night: Night): Promise<StockPipeline> {
    if (this.pipeline !== null) return this.pipeline;
    const { parts, options, deps, plan } = night;
    const { config } = options;
    const owners = filingsOwners(plan.entries);
    const fetchOptions = {
      forceRefresh: config.processing.force_refresh,
      refetchThresholdMs: config.processing.refetch_threshold_days * 86_400_000,
      now: deps.now,
      sections: config.processing.fetch_filing_sections ? await parts.store.sectionAccessions() : null,
      changed: parts.changed,
      validators: config.processing.force_refresh ? new Map() : await parts.store.loadValidators(),
    };
    const { sec } = parts;
    const companies = sec !== null && config.sources.edgar.enabled ? new CompanyCache((cik) => fetchCompanyData(sec, cik, parts.states.get(owners.get(cik) ?? ''), fetchOptions)) : null;
    this.pipeline = {
      companies,
      prices: newPriceBook(night),
      storedSplits: parts.storedSplits,
      store: parts.store,
      now: deps.now,
      filingsOwner: (cik) => owners.get(cik),
      latePrices: night.latePrices,
      onPrice: (symbol, outcome) => night.ledger.recordPrice(symbol, outcome),
      adrRatios: config.adr_ratios,
    };
    return this.pipeline;
  }
}

/** Waits for the prices still on their way, within the time budget; those that never came are counted as still waiting. */
async function settleLatePrices(night: Night): Promise<void> {
  const { latePrices, deps, control, ledger } = night;
  if (latePrices.size > 0) deps.log.info(`waiting for ${plural(latePrices.size, 'price', 'prices')} still on their way from Yahoo`);
  for (const symbol of await latePrices.settle(control.stopSignal)) ledger.recordPrice(symbol, { status: 'pending' });
}

function perCompanyOptions(night: Night): { batchSize: number; maxWorkers: number; delayBetweenBatchesMs: number } {
  const { processing } = night.options.config;
  return { batchSize: processing.batch_size, maxWorkers: processing.max_workers, delayBetweenBatchesMs: processing.delay_between_batches_seconds * 1000 };
}

function perCompanyRun(night: Night): Parameters<typeof refreshCompanies>[3] {
  const { events } = night.deps;
  return { control: night.control, ledger: night.ledger, sleep: night.deps.sleep, onStockStart: events?.onStockStart, onBatchStart: events?.onBatchStart };
}

function newPriceBook(night: Night): PriceBook | null {
  const { yahoo, latestCloseDates, store, reportingCurrencies } = night.parts;
  if (yahoo === null) return null;
  return new PriceBook(yahoo, {
    symbolsPerRequest: night.options.config.sources.yahoo.symbols_per_request,
    now: night.deps.now,
    latestCloseDates,
    reportingCurrencies,
    fxRecord: night.fxRates,
    closeShift: (symbol, closes) => store.closeShift(symbol, closes),
  });
}
