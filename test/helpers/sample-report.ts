import type { SummaryReport } from '../../src/report/summary-report.js';

/** A complete summary report of a clean run; tests override what they are about. */
export function sampleReport(overrides: Partial<SummaryReport> = {}): SummaryReport {
  return {
    start_time: '2026-11-25T02:00:03.120-05:00',
    end_time: '2026-11-25T03:02:06.620-05:00',
    duration_seconds: 3723.5,
    total_stocks: 100,
    successful: 100,
    failed: 0,
    skipped: 0,
    success_rate: '100.00%',
    failed_symbols: [],
    error_types: {},
    status: 'completed',
    unchanged: 0,
    not_started: 0,
    error_message: null,
    time_budget_exhausted: false,
    failures: [],
    skipped_symbols: [],
    retried_symbols: [],
    requests: { sec: 300, yahoo: 100 },
    retries: {},
    bytes_downloaded: {},
    not_modified: {},
    universe_size: 100,
    change_detection: 'full-refresh',
    change_detection_note: null,
    index_days: 0,
    companies_changed: null,
    backup: null,
    database: 'stocks.db',
    config: 'batch_config.json',
    exit_code: 0,
    ...overrides,
  };
}
