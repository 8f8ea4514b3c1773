import type { ResolvedConfig } from '../config/load-config.js';
import { EXIT, type ExitCode } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { SummaryReport } from '../report/summary-report.js';
import type { FetchFn } from '../sources/http.js';
import type { RefreshPlan } from './plan.js';
import type { Outcome, OutcomeCounts } from './outcome.js';

/*
 * What a job is asked to do, what it may touch, and what it answers: the types shared by the job
 * (run-job.ts), its end (finish-run.ts) and the shell (src/cli).
 */

export interface JobOptions {
  config: ResolvedConfig;
  dryRun: boolean;
  limit?: number;
  /** Only these symbols of the universe (--symbols). */
  symbols?: string[];
  userAgent: string;
  /** Whether this run backs up first (continuous mode backs up once a day); default yes. */
  backup?: (config: ResolvedConfig) => boolean;
  /** Only stocks last refreshed before this time, or never (continuous mode). */
  dueBefore?: Date;
  /** --bulk: rebuild from SEC's bulk archives whatever changed. */
  bulk?: boolean;
}

/** Everything with a side effect, injected (tests pass a local fetch target and an instant sleep). */
export interface JobDeps {
  fetch: FetchFn;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  log: Logger;
  events?: RefreshEvents & { onPlan?: (plan: RefreshPlan) => void };
  signal?: AbortSignal;
  /** Where secrets named in the config (SMTP password) are read from. */
  env?: NodeJS.ProcessEnv;
  /**
   * The real time, for the names of backups and reports: they sort by when they were written, so
   * a missed night re-run with `BATCH_REFRESH_NOW` is the newest report, never the pruned backup.
   * Default: the system clock.
   */
  wallClock?: () => Date;
}

/** The dry run's answer: what a run would do. */
export interface DryRunPlan {
  total_stocks: number;
  batches: number;
  symbols: string[];
  /** The rate-limit floor of the way the run would take (a bulk rebuild: the prices; the archives' download is not counted). */
  estimated_seconds: number;
  /** `bulk` when the run would rebuild from SEC's bulk archives, else `per-company` (an upper bound on an incremental night, which asks SEC only about the companies that filed). */
  refresh_path: 'bulk' | 'per-company';
  /** Why the run would rebuild from the archives. */
  bulk_reason: string | null;
}

export type JobResult = { kind: 'disabled' } | { kind: 'dry-run'; plan: DryRunPlan } | { kind: 'run'; report: SummaryReport; reportPath: string | null; exitCode: ExitCode };

/** The exit code a job's answer ends the process with: a run's own; OK for a dry run or a disabled job. */
export function exitCodeOfResult(result: JobResult): ExitCode {
  return result.kind === 'run' ? result.exitCode : EXIT.OK;
}

/** Progress callbacks: the terminal layer attaches a bar or log lines; the runner prints nothing. */
export interface RefreshEvents {
  onStockStart?: (symbol: string) => void;
  onStockDone?: (outcome: Outcome, progress: { done: number; total: number; counts: OutcomeCounts }) => void;
  onBatchStart?: (index: number, batchCount: number, size: number) => void;
  onRetryPass?: (symbols: string[]) => void;
}
