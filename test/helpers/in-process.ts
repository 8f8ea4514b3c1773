import { loadConfig, type ResolvedConfig } from '../../src/config/load-config.js';
import type { Logger } from '../../src/logging/logger.js';
import type { JobDeps, JobOptions, JobResult } from '../../src/runner/job.js';
import { runJob } from '../../src/runner/run-job.js';
import { createClock } from '../../src/util/time.js';

/*
 * A whole run in-process (release-it's test/tasks.js): the job with injected effects — a fixed
 * clock, a logger that keeps its lines, the real fetch to the stand-in on 127.0.0.1, an abort
 * signal the test holds — and no process spawned. The built CLI is left to the contract tests.
 */

export interface InProcessRun {
  result: JobResult;
  /** Every line logged, `LEVEL message`. */
  lines: string[];
}

/** A logger that keeps its lines in memory. */
export function memoryLogger(lines: string[]): Logger {
  return {
    debug: (message) => lines.push(`DEBUG ${message}`),
    info: (message) => lines.push(`INFO ${message}`),
    warn: (message) => lines.push(`WARNING ${message}`),
    error: (message) => lines.push(`ERROR ${message}`),
    begin: () => undefined,
    close: () => Promise.resolve(),
  };
}

/** The config file as the CLI would read it (paths resolved, checked). */
export function readConfig(file: string): ResolvedConfig {
  const loaded = loadConfig(file);
  if (!loaded.ok) throw new Error(`test config ${file}: ${loaded.issues.join('; ')}`);
  return loaded.config;
}

/** Runs one job in-process at `now` (ISO 8601); `options` and `deps` override the defaults. */
export async function runInProcess(configFile: string, now: string, options: Partial<JobOptions> = {}, deps: Partial<JobDeps> = {}): Promise<InProcessRun> {
  const lines: string[] = [];
  const config = readConfig(configFile);
  const clock = createClock(now);
  const result = await runJob(
    { config, dryRun: false, userAgent: config.sources.edgar.user_agent ?? 'batch-refresh tests tests@example.com', ...options },
    { fetch, now: clock, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), log: memoryLogger(lines), wallClock: clock, ...deps },
  );
  return { result, lines };
}
