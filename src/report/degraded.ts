import type { SummaryReport } from './summary-report.js';

/*
 * Which sources a night degraded (README, "Summary reports"): a circuit open or a block at the
 * end of the run, or prices not refreshed. The report has the figures; notifications, `status`
 * and the sync_runs row name the sources with one line each.
 */

/** Source name → what degraded it, e.g. `yahoo: "blocked (blocked: HTTP 403 Forbidden from …), 300 prices not refreshed"`. */
export function degradedSources(sources: SummaryReport['sources']): Record<string, string> {
  const degraded: Record<string, string> = {};
  for (const [name, section] of Object.entries(sources)) {
    const notRefreshed = section.prices_not_refreshed ?? 0;
    const stateDegraded = section.state === 'circuit_open' || section.state === 'blocked';
    if (!stateDegraded && notRefreshed === 0) continue;
    const state = stateDegraded ? `${section.state}${section.state_reason === null ? '' : ` (${section.state_reason})`}` : section.state;
    degraded[name] = notRefreshed > 0 ? `${state}, ${notRefreshed} price${notRefreshed === 1 ? '' : 's'} not refreshed` : state;
  }
  return degraded;
}
