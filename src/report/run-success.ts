/**
 * What the success rules read from a finished run. A summary report and a `sync_runs` row both
 * carry these fields, so `status` (from the database) and the metrics textfile (from the report)
 * judge a run by the same rules.
 */
export interface FinishedRunFigures {
  status: string;
  successful: number;
  failed: number;
}

/**
 * The success rules, the one definition of "the last successful run" for `status --json`'s
 * `last_success` and the textfile's `batch_refresh_last_success_timestamp_seconds`: the run
 * completed (not aborted, interrupted or still running), refreshed at least one stock, and its
 * success rate, successful of successful + failed, reached `error_handling.min_success_rate`.
 *
 * At least one stock, because a completed run that refreshed nothing (every stock skipped, an empty
 * universe) has an undefined rate that the exit code counts as 100 %, yet it says nothing about
 * whether the data is fresh.
 */
export function isSuccessfulRun(run: FinishedRunFigures, minSuccessRate: number): boolean {
  if (run.status !== 'completed' || run.successful < 1) return false;
  return run.successful / (run.successful + run.failed) >= minSuccessRate;
}
