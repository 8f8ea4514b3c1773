import { existsSync } from 'node:fs';
import { openStore, usesPostgres } from '../db/open-store.js';
import { redactDatabaseUrl } from '../db/pg/pg-connect.js';
import type { StoredStockState } from '../db/store.js';
import { setupStep } from './setup-step.js';
import type { Logger } from '../logging/logger.js';
import type { SecSource } from '../sources/sec.js';
import { plural } from '../util/text.js';
import type { ChangeDetection } from './changes.js';
import type { DryRunPlan, JobDeps, JobOptions } from './job.js';
import { buildPlan, companiesOf, type RefreshPlan } from './plan.js';
import { loadUniverse, type Universe } from './universe.js';

/*
 * Which stocks a night refreshes, and which way: the plan from the universe and what is stored,
 * the choice of a bulk rebuild, and the dry run that shows both without a per-stock request.
 */

/** "7,360 stocks, 5,958 companies, 15 batches" (each noun agreeing with its count). */
export function describePlan(plan: RefreshPlan): string {
  return [plural(plan.entries.length, 'stock', 'stocks'), plural(plan.companies, 'company', 'companies'), plural(plan.batches.length, 'batch', 'batches')].join(', ');
}

export function makePlan(universe: Universe, options: JobOptions, states: Map<string, StoredStockState>): RefreshPlan {
  const { config } = options;
  return buildPlan(universe.entries, {
    limit: options.limit,
    forceRefresh: config.processing.force_refresh,
    batchSize: config.processing.batch_size,
    states,
    edgarEnabled: config.sources.edgar.enabled,
    yahooEnabled: config.sources.yahoo.enabled,
    edgarRequestsPerSecond: config.rate_limiting.edgar_requests_per_second,
    yahooDelaySeconds: config.rate_limiting.yfinance_delay_seconds,
    symbolsPerRequest: config.sources.yahoo.symbols_per_request,
    delayBetweenBatchesSeconds: config.processing.delay_between_batches_seconds,
    ...(options.dueBefore ? { dueBefore: options.dueBefore } : {}),
  });
}

/** The plan without a single per-stock request; the database is read (for ordering) but never written. */
export async function dryRun(options: JobOptions, sec: SecSource | null, deps: JobDeps): Promise<DryRunPlan> {
  const universe = await loadUniverse(options.config, sec, options.symbols);
  reportRejected(universe, deps.log);
  let states = new Map<string, StoredStockState>();
  const { database } = options.config;
  const postgres = usesPostgres(database);
  // Read whatever the night: the order needs it on incremental nights, the choice of a bulk rebuild always.
  if (postgres || existsSync(database.path)) {
    states = await setupStep(`cannot read the database ${postgres ? redactDatabaseUrl(database.url ?? '') : database.path}`, async () => {
      const store = await openStore(database, { readonly: true, env: deps.env ?? {} });
      try {
        return await store.loadStates();
      } finally {
        await store.close();
      }
    });
  }
  const plan = makePlan(universe, options, options.config.processing.force_refresh ? new Map<string, StoredStockState>() : states);
  // As a run would choose, without the daily index (a dry run asks SEC for the universe only).
  const bulkReason = sec !== null && options.config.sources.edgar.enabled ? chooseBulk(options, universe, plan, states, null) : null;
  return {
    total_stocks: plan.entries.length,
    batches: plan.batches.length,
    symbols: plan.entries.map((entry) => entry.symbol),
    estimated_seconds: bulkReason === null ? plan.estimatedSeconds : plan.pricesSeconds,
    refresh_path: bulkReason === null ? 'per-company' : 'bulk',
    bulk_reason: bulkReason,
  };
}

/** Below this many companies, two requests each cost less than two archives of 3 GB (processing.bulk_min_companies). */
export function chooseBulk(options: JobOptions, universe: Universe, plan: RefreshPlan, states: Map<string, StoredStockState>, detection: ChangeDetection | null): string | null {
  const { config } = options;
  if (options.bulk === true) return 'requested (--bulk)';
  if (plan.companies < config.processing.bulk_min_companies || plan.companies === 0) return null;
  if (states.size === 0) return 'the database is empty';
  const universeCompanies = companiesOf(universe.entries).size;
  // Companies the daily index names, and those whose stored fundamentals are gone (never stored, or
  // cleared by a migration that re-reads every company's facts): both need their companyfacts.
  const unfilled = plan.entries.filter((entry) => (states.get(entry.symbol)?.fundamentals_updated_at ?? null) === null);
  const changed = detection?.changed ? companiesOf(plan.entries, detection.changed) : new Set<number>();
  const changing = config.processing.force_refresh ? plan.companies : new Set([...changed, ...companiesOf(unfilled)]).size;
  const share = universeCompanies === 0 ? 0 : changing / universeCompanies;
  if (share > config.processing.bulk_threshold) {
    return `${changing} of the universe's ${plural(universeCompanies, 'company', 'companies')} to refresh (${(share * 100).toFixed(1)} %, over processing.bulk_threshold ${config.processing.bulk_threshold})`;
  }
  return null;
}

export function reportRejected(universe: Universe, log: Logger): void {
  if (universe.notFound.length > 0) {
    log.warn(`--symbols: ${universe.notFound.length === 1 ? '1 symbol is' : `${universe.notFound.length} symbols are`} not in the universe (${universe.origin}): ${universe.notFound.join(', ')}`);
  }
  if (universe.rejected.length === 0) return;
  const shown = universe.rejected.slice(0, 10).map((item) => `${JSON.stringify(item.value)} (${item.reason})`);
  log.warn(`${plural(universe.rejected.length, 'symbol', 'symbols')} rejected from ${universe.origin}: ${shown.join(', ')}${universe.rejected.length > 10 ? ', …' : ''}`);
}
