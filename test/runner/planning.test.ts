import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { StoredStockState } from '../../src/db/stock-store.js';
import type { UniverseEntry } from '../../src/extract/universe.js';
import type { ChangeDetection } from '../../src/runner/changes.js';
import type { JobOptions } from '../../src/runner/job.js';
import { chooseBulk } from '../../src/runner/planning.js';

/* When a night rebuilds from the bulk archives instead of asking company by company. */

const entries: UniverseEntry[] = Array.from({ length: 2000 }, (_unused, i) => ({ symbol: `S${i}`, cik: i + 1, name: `Stock ${i}`, exchange: 'Nasdaq' }));
const universe = { entries, rejected: [], origin: 'test', size: entries.length, notFound: [] };
const plan = { entries, batches: [entries], companies: entries.length, estimatedSeconds: 0, pricesSeconds: 0 };

function options(processing: Record<string, unknown> = {}): JobOptions {
  const loaded = parseConfig({ processing: { force_refresh: false, ...processing } }, '/tmp/batch_config.json');
  if (!loaded.ok) throw new Error(loaded.issues.join('; '));
  return { config: loaded.config, dryRun: false, userAgent: 'tests tests@example.com' };
}

/** Stored states of every stock, fundamentals stored, except those `unfilled` (never stored, or cleared by a migration). */
function states(unfilled: number): Map<string, StoredStockState> {
  return new Map(
    entries.map((entry, i) => [
      entry.symbol,
      { symbol: entry.symbol, last_filing_accession: 'a', fundamentals_updated_at: i < unfilled ? null : '2026-11-24T07:00:00Z', last_refreshed_at: '2026-11-24T07:00:00Z' },
    ]),
  );
}

const dailyIndex = (changed: number): ChangeDetection =>
  ({ path: 'daily-index', changed: new Set(entries.slice(0, changed).map((entry) => entry.cik as number)), days: 1, reason: null }) as ChangeDetection;

describe('chooseBulk', () => {
  it('an incremental night with few filers goes company by company', () => {
    expect(chooseBulk(options(), universe, plan, states(0), dailyIndex(100))).toBeNull();
  });

  it('counts the companies whose stored fundamentals are gone with the filers: a migration that clears them sends the night to the archives', () => {
    expect(chooseBulk(options(), universe, plan, states(2000), dailyIndex(10))).toBe("2000 of the universe's 2000 companies to refresh (100.0 %, over processing.bulk_threshold 0.25)");
    // 400 cleared and the same 100 filers among them: 20 %, under the threshold.
    expect(chooseBulk(options(), universe, plan, states(400), dailyIndex(100))).toBeNull();
  });

  it('an empty database rebuilds; below bulk_min_companies it never does', () => {
    expect(chooseBulk(options(), universe, plan, new Map(), null)).toBe('the database is empty');
    expect(chooseBulk(options({ bulk_min_companies: 5000 }), universe, plan, states(2000), dailyIndex(10))).toBeNull();
  });
});
