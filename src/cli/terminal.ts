import { chalkStderr } from 'chalk';
import cliProgress from 'cli-progress';
import type { ConsoleSink, Logger, LogLevel } from '../logging/logger.js';
import type { Outcome, OutcomeCounts } from '../runner/outcome.js';
import type { RefreshEvents } from '../runner/run-refresh.js';

/** Whether stderr is an interactive terminal (progress bar, colour) rather than cron or journald. */
export function isInteractive(): boolean {
  return process.stderr.isTTY === true;
}

const LEVEL_STYLE: Record<LogLevel, (text: string) => string> = {
  DEBUG: (text) => chalkStderr.gray(text),
  INFO: (text) => text,
  WARNING: (text) => chalkStderr.yellow(text),
  ERROR: (text) => chalkStderr.red(text),
};

/** sd-daemon priority prefixes: journald files each line under it, so `journalctl -p err` works. */
const JOURNAL_PRIORITY: Record<LogLevel, string> = { DEBUG: '<7>', INFO: '<6>', WARNING: '<4>', ERROR: '<3>' };

/**
 * Console lines on stderr (stdout is for what scripts pipe). chalk honours NO_COLOR and colours
 * only a terminal; while a progress bar is drawn, lines are printed above it. Under systemd
 * (JOURNAL_STREAM set) lines carry a priority prefix instead, and no time of their own: the
 * journal stamps them.
 */
export function createConsoleSink(progress: { current: cliProgress.MultiBar | null }, env: NodeJS.ProcessEnv = process.env): ConsoleSink {
  if (env.JOURNAL_STREAM !== undefined && env.JOURNAL_STREAM !== '') {
    return (level, message) => {
      // One journal entry per line: a multi-line message gets the prefix on each line.
      const lines = message.split('\n').map((line) => `${JOURNAL_PRIORITY[level]}${line}`);
      process.stderr.write(`${lines.join('\n')}\n`);
    };
  }
  return (level, message) => {
    const prefix = level === 'INFO' || level === 'DEBUG' ? '' : `${level.toLowerCase()}: `;
    const line = LEVEL_STYLE[level](`${prefix}${message}`);
    if (progress.current !== null) progress.current.log(`${line}\n`);
    else process.stderr.write(`${line}\n`);
  };
}

export interface ProgressReporter {
  events: RefreshEvents & { onPlan?: (plan: { entries: unknown[] }) => void };
  stop(): void;
}

/**
 * A cli-progress bar on a terminal; without one (cron, systemd) a progress line at a steady
 * interval, so a log shows the run moving without a line per stock. Per-stock lines go to the log
 * at debug level (shown with --verbose); failures at warning level.
 */
export function createProgressReporter(
  log: Logger,
  options: { bar: boolean; intervalMs: number; now: () => Date },
  holder: { current: cliProgress.MultiBar | null },
): ProgressReporter {
  let bar: cliProgress.SingleBar | null = null;
  let lastLineAt = 0;
  let startedAt = 0;
  const describe = (outcome: Outcome): string =>
    outcome.status === 'failed'
      ? `${outcome.symbol}: failed (${outcome.errorType}) ${outcome.message}`
      : outcome.status === 'skipped'
        ? `${outcome.symbol}: skipped (${outcome.reason})`
        : `${outcome.symbol}: ok${outcome.unchanged ? ' (unchanged)' : ''}${outcome.notes.length ? ` (${outcome.notes.join('; ')})` : ''}`;
  const progressLine = (done: number, total: number, counts: OutcomeCounts): string => {
    const elapsed = options.now().getTime() - startedAt;
    const eta = done > 0 ? ((elapsed / done) * (total - done)) / 1000 : Number.NaN;
    const pct = total === 0 ? 100 : (done / total) * 100;
    return `progress: ${done}/${total} (${pct.toFixed(1)}%), ok ${counts.successful}, failed ${counts.failed}, skipped ${counts.skipped}${Number.isFinite(eta) ? `, ETA ${formatDuration(eta)}` : ''}`;
  };
  return {
    events: {
      onPlan: (plan) => {
        startedAt = options.now().getTime();
        lastLineAt = startedAt;
        if (!options.bar || plan.entries.length === 0) return;
        holder.current = new cliProgress.MultiBar(
          {
            stream: process.stderr,
            format: '{bar} {percentage}% | {value}/{total} | ETA {eta_formatted} | ok {ok} failed {failed} skipped {skipped} | {symbol}',
            hideCursor: true,
            clearOnComplete: false,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar = holder.current.create(plan.entries.length, 0, { symbol: '', ok: 0, failed: 0, skipped: 0 });
      },
      onStockStart: (symbol) => bar?.update({ symbol }),
      onStockDone: (outcome, { done, total, counts }) => {
        if (outcome.status === 'failed') log.warn(describe(outcome));
        else log.debug(describe(outcome));
        bar?.update(done, { ok: counts.successful, failed: counts.failed, skipped: counts.skipped });
        const now = options.now().getTime();
        if (bar === null && (now - lastLineAt >= options.intervalMs || done === total)) {
          lastLineAt = now;
          log.info(progressLine(done, total, counts));
        }
      },
      onBatchStart: (index, count, size) => log.debug(`batch ${index + 1}/${count} (${size} stocks)`),
      onRetryPass: (symbols) => log.info(`second pass for ${symbols.length} failed stocks: ${symbols.slice(0, 20).join(', ')}${symbols.length > 20 ? ', …' : ''}`),
    },
    stop: () => {
      holder.current?.stop();
      holder.current = null;
      bar = null;
    },
  };
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
