import type cliProgress from 'cli-progress';
import { isDisabledByConfig } from '../../src/config/load-config.js';
import { jobDeps, logRunFailure, openRunSession, parseSymbolsOption, readRunClock, readRunSetup, type RunCommandOptions, type RunSession } from '../../src/cli/run-setup.js';
import { createConsoleSink } from '../../src/cli/terminal.js';
import { EXIT, exitCodeOfError, type ExitCode } from '../../src/errors.js';
import type { Logger } from '../../src/logging/logger.js';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { exitCodeOfResult, type DryRunPlan, type JobDeps, type JobResult } from '../../src/runner/job.js';
import { runJob } from '../../src/runner/run-job.js';

/*
 * A refresh run in-process (release-it's test/tasks.js): what the CLI does for `batch-refresh
 * --config FILE [flags]` — the same clock, config checks, job options, logger (log file included)
 * and progress lines (src/cli/run-setup.ts), then runJob — with the process left out: the console
 * is kept in memory, the signal is the test's, nothing is spawned. The exit code is the one the
 * CLI would end with (src/errors.ts, src/runner/job.ts). What only the process does (stdout,
 * main's message for a thrown error, the summary lines, umask, signal handlers) is left to the
 * contract tests through the built CLI (cli.ts).
 */

/** The flags of a refresh besides --config; `symbols` as typed, parsed as the CLI parses it. */
export type InProcessFlags = Omit<RunCommandOptions, 'config' | 'symbols' | 'continuous'> & { symbols?: string };

export interface InProcessOptions {
  /** BATCH_REFRESH_NOW; without it the real clock, as the CLI without it. */
  now?: string;
  flags?: InProcessFlags;
  /** The environment the CLI would see besides BATCH_REFRESH_NOW (SEC_USER_AGENT, secrets); the test process's own is not inherited. */
  env?: Record<string, string>;
  /** Effects in place of the CLI's (a signal the test holds, a wall clock); `events` are called after the CLI's progress lines. */
  deps?: Partial<JobDeps>;
}

export interface InProcessRun {
  /** The exit code the CLI would end with. */
  code: ExitCode;
  /** The job's answer; null when it threw (`error`). */
  result: JobResult | null;
  /** What the job threw, for which `code` is the CLI's exit code; null when it answered. */
  error: unknown;
  /** The run's summary report, as `--json` prints it and the report file holds; null without a run. */
  report: SummaryReport | null;
  /** The dry run's plan, as `--dry-run --json` prints it. */
  plan: DryRunPlan | null;
  /** What the run's logger printed on stderr, as the CLI prints it to a pipe (no colour, `warning: ` prefixes). */
  console: string;
  /** Every line the job logged, at any level: `LEVEL message`. */
  lines: string[];
}

/** Runs `batch-refresh --config configFile [flags]` in-process; never throws for what the CLI turns into an exit code. */
export async function runInProcess(configFile: string, options: InProcessOptions = {}): Promise<InProcessRun> {
  const env: Record<string, string> = { NO_COLOR: '1', ...options.env, ...(options.now === undefined ? {} : { BATCH_REFRESH_NOW: options.now }) };
  const out: Omit<InProcessRun, 'code'> = { result: null, error: null, report: null, plan: null, console: '', lines: [] };
  const stderr = { isTTY: false, write: (text: string) => (out.console += text) };
  let session: RunSession | null = null;
  try {
    const now = readRunClock(env);
    if (isDisabledByConfig(configFile)) return { ...out, code: EXIT.OK, result: { kind: 'disabled' } };
    const { symbols, ...flags } = options.flags ?? {};
    const runOptions: RunCommandOptions = { config: configFile, ...flags, ...(symbols === undefined ? {} : { symbols: parseSymbolsOption(symbols) }) };
    const setup = readRunSetup(runOptions, env);
    const holder: { current: cliProgress.MultiBar | null } = { current: null };
    const signal = options.deps?.signal ?? new AbortController().signal;
    session = await openRunSession(runOptions, setup, { console: createConsoleSink(holder, env, stderr), holder, bar: false, now, signal, env });
    const deps = { ...jobDeps(session), ...options.deps };
    out.result = await runJob(session.jobOptions, { ...deps, log: keepLines(deps.log, out.lines), events: alsoCall(session.progress.events, options.deps?.events) });
    session.progress.stop();
    if (out.result.kind === 'run') out.report = out.result.report;
    if (out.result.kind === 'dry-run') out.plan = out.result.plan;
    return { ...out, code: exitCodeOfResult(out.result) };
  } catch (error) {
    if (session !== null) logRunFailure(session, error);
    out.error = error;
    return { ...out, code: exitCodeOfError(error) };
  } finally {
    await session?.log.close();
  }
}

/** `log`, also keeping each line in `lines` as `LEVEL message`. */
function keepLines(log: Logger, lines: string[]): Logger {
  const at =
    (level: string, write: (message: string) => void) =>
    (message: string): void => {
      lines.push(`${level} ${message}`);
      write(message);
    };
  return {
    debug: at('DEBUG', (message) => log.debug(message)),
    info: at('INFO', (message) => log.info(message)),
    warn: at('WARNING', (message) => log.warn(message)),
    error: at('ERROR', (message) => log.error(message)),
    begin: (plan) => log.begin(plan),
    close: () => log.close(),
  };
}

type Callbacks = NonNullable<JobDeps['events']>;

/** The CLI's progress callbacks, each followed by the test's own. */
function alsoCall(first: Callbacks, second: Callbacks | undefined): Callbacks {
  if (second === undefined) return first;
  const merged: Record<string, unknown> = { ...first };
  for (const [name, then] of Object.entries(second)) {
    const before = (first as Record<string, ((...args: unknown[]) => void) | undefined>)[name];
    merged[name] = (...args: unknown[]) => {
      before?.(...args);
      (then as (...args: unknown[]) => void)(...args);
    };
  }
  return merged;
}

/** What to show when an expectation on a run fails: its console, and what it threw. */
export function explain(run: InProcessRun): string {
  const { error } = run;
  const thrown = error instanceof Error ? (error.stack ?? error.message) : JSON.stringify(error);
  return error === null ? run.console : `${run.console}\nthrew: ${thrown}`;
}

/** The run's summary report; fails the test, saying why, when the run did not get to one. */
export function reportOf(run: InProcessRun): SummaryReport {
  if (run.report === null) throw new Error(`no report (exit ${run.code}): ${explain(run)}`);
  return run.report;
}

/** The dry run's plan; fails the test, saying why, when there is none. */
export function planOf(run: InProcessRun): DryRunPlan {
  if (run.plan === null) throw new Error(`no plan (exit ${run.code}): ${explain(run)}`);
  return run.plan;
}
