import { Chalk, type ChalkInstance } from 'chalk';
import cliProgress from 'cli-progress';
import type { ConsoleSink, Logger, LogLevel } from '../logging/logger.js';
import type { Outcome, OutcomeCounts } from '../runner/outcome.js';
import type { RefreshEvents } from '../runner/job.js';
import { plural } from '../util/text.js';

/** Where console output goes: stderr, or a fake one in tests. */
export interface TerminalStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** What the console may do: colour the lines, redraw a progress bar in place. */
export interface TerminalSupport {
  color: boolean;
  progressBar: boolean;
}

/**
 * The one place deciding colour and the progress bar (clig.dev): both only on a terminal, neither
 * with `NO_COLOR` set to anything non-empty (no-color.org) or `TERM=dumb` (no cursor movement).
 * `FORCE_COLOR` (as chalk and Node read it) wins for colour only: a bar is never drawn into a pipe.
 * chalk alone would not do: its supports-color reads FORCE_COLOR and TERM but not NO_COLOR.
 */
export function detectTerminal(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): TerminalSupport {
  const interactive = stream.isTTY === true && env.TERM !== 'dumb' && (env.NO_COLOR ?? '') === '';
  const force = env.FORCE_COLOR;
  const forced = force === undefined ? undefined : force !== '0' && force !== 'false';
  return { color: forced ?? interactive, progressBar: interactive };
}

/** Whether a progress bar may be drawn on `stream` (stderr): a terminal, not cron, journald, NO_COLOR or TERM=dumb. */
export function isInteractive(stream: TerminalStream = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  return detectTerminal(stream, env).progressBar;
}

function levelStyles(chalk: ChalkInstance): Record<LogLevel, (text: string) => string> {
  return {
    DEBUG: (text) => chalk.gray(text),
    INFO: (text) => text,
    WARNING: (text) => chalk.yellow(text),
    ERROR: (text) => chalk.red(text),
  };
}

/** sd-daemon priority prefixes: journald files each line under it, so `journalctl -p err` works. */
const JOURNAL_PRIORITY: Record<LogLevel, string> = { DEBUG: '<7>', INFO: '<6>', WARNING: '<4>', ERROR: '<3>' };

/**
 * Console lines on stderr (stdout is for what scripts pipe), coloured as detectTerminal says;
 * while a progress bar is drawn, lines are printed above it. Under systemd (JOURNAL_STREAM set)
 * lines carry a priority prefix instead, and no time of their own: the journal stamps them.
 */
export function createConsoleSink(progress: { current: cliProgress.MultiBar | null }, env: NodeJS.ProcessEnv = process.env, stream: TerminalStream = process.stderr): ConsoleSink {
  if (env.JOURNAL_STREAM !== undefined && env.JOURNAL_STREAM !== '') {
    return (level, message) => {
      // One journal entry per line: a multi-line message gets the prefix on each line.
      const lines = message.split('\n').map((line) => `${JOURNAL_PRIORITY[level]}${line}`);
      stream.write(`${lines.join('\n')}\n`);
    };
  }
  const style = levelStyles(new Chalk({ level: detectTerminal(stream, env).color ? 1 : 0 }));
  return (level, message) => {
    const prefix = level === 'INFO' || level === 'DEBUG' ? '' : `${level.toLowerCase()}: `;
    const line = style[level](`${prefix}${message}`);
    if (progress.current !== null) progress.current.log(`${line}\n`);
    else stream.write(`${line}\n`);
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
  options: { bar: boolean; intervalMs: number; now: () => Date; stream?: TerminalStream },
  holder: { current: cliProgress.MultiBar | null },
): ProgressReporter {
  let bar: cliProgress.SingleBar | null = null;
  let lastLineAt = 0;
  let startedAt = 0;
  return {
    events: {
      onPlan: (plan) => {
        startedAt = options.now().getTime();
        lastLineAt = startedAt;
        if (!options.bar || plan.entries.length === 0) return;
        holder.current = createBar(options.stream ?? process.stderr);
        bar = holder.current.create(plan.entries.length, 0, { symbol: '', ok: 0, failed: 0, skipped: 0 });
      },
      onStockStart: (symbol) => bar?.update({ symbol }),
      onStockDone: (outcome, { done, total, counts }) => {
        if (outcome.status === 'failed') log.warn(describeOutcome(outcome));
        else log.debug(describeOutcome(outcome));
        bar?.update(done, { ok: counts.successful, failed: counts.failed, skipped: counts.skipped });
        const now = options.now().getTime();
        if (bar === null && (now - lastLineAt >= options.intervalMs || done === total)) {
          lastLineAt = now;
          log.info(formatProgressLine(done, total, counts, options.now().getTime() - startedAt));
        }
      },
      onBatchStart: (index, count, size) => log.debug(`batch ${index + 1}/${count} (${plural(size, 'stock', 'stocks')})`),
      onRetryPass: (symbols) => log.info(`second pass for ${plural(symbols.length, 'failed stock', 'failed stocks')}: ${symbols.slice(0, 20).join(', ')}${symbols.length > 20 ? ', …' : ''}`),
    },
    stop: () => {
      // cli-progress prints logged lines only at its next redraw (every 100 ms) and stop() does not
      // flush them: a warning logged just before the end would be lost. update() redraws now.
      if (holder.current !== null && bar !== null) holder.current.update();
      holder.current?.stop();
      holder.current = null;
      bar = null;
    },
  };
}

function createBar(stream: TerminalStream): cliProgress.MultiBar {
  return new cliProgress.MultiBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: '{bar} {percentage}% | {value}/{total} | ETA {eta_formatted} | ok {ok} failed {failed} skipped {skipped} | {symbol}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
}

/** A stock's outcome as one log line. */
function describeOutcome(outcome: Outcome): string {
  return outcome.status === 'failed'
    ? `${outcome.symbol}: failed (${outcome.errorType}) ${outcome.message}`
    : outcome.status === 'skipped'
      ? `${outcome.symbol}: skipped (${outcome.reason})`
      : `${outcome.symbol}: ok${outcome.unchanged ? ' (unchanged)' : ''}${outcome.notes.length ? ` (${outcome.notes.join('; ')})` : ''}`;
}

/** The progress line logged without a bar: counts so far and an ETA from the pace since the plan. */
function formatProgressLine(done: number, total: number, counts: OutcomeCounts, elapsedMs: number): string {
  const eta = done > 0 ? ((elapsedMs / done) * (total - done)) / 1000 : Number.NaN;
  const pct = total === 0 ? 100 : (done / total) * 100;
  return `progress: ${done}/${total} (${pct.toFixed(1)}%), ok ${counts.successful}, failed ${counts.failed}, skipped ${counts.skipped}${Number.isFinite(eta) ? `, ETA ${formatDuration(eta)}` : ''}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
