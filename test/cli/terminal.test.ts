import type cliProgress from 'cli-progress';
import { describe, expect, it } from 'vitest';
import { createConsoleSink, createProgressReporter, detectTerminal, isInteractive } from '../../src/cli/terminal.js';
import { createLogger } from '../../src/logging/logger.js';
import type { Outcome } from '../../src/runner/outcome.js';

const NOW = new Date('2026-11-25T07:00:00Z');
const ESC = '\u001b';

/** A stand-in for stderr: a terminal (or not) of 100 columns that keeps what is written. */
function fakeStream(isTTY: boolean): { isTTY: boolean; columns: number; write(text: string): boolean; text: string } {
  return {
    isTTY,
    columns: 100,
    text: '',
    write(text: string) {
      this.text += text;
      return true;
    },
  };
}

describe('detectTerminal', () => {
  it.each([
    ['a terminal', true, { TERM: 'xterm-256color' }, { color: true, progressBar: true }],
    ['a terminal with NO_COLOR=1', true, { TERM: 'xterm', NO_COLOR: '1' }, { color: false, progressBar: false }],
    ['a terminal with NO_COLOR=false (any value counts)', true, { TERM: 'xterm', NO_COLOR: 'false' }, { color: false, progressBar: false }],
    ['a terminal with an empty NO_COLOR', true, { TERM: 'xterm', NO_COLOR: '' }, { color: true, progressBar: true }],
    ['a terminal with TERM=dumb', true, { TERM: 'dumb' }, { color: false, progressBar: false }],
    ['a pipe (cron, systemd)', false, { TERM: 'xterm' }, { color: false, progressBar: false }],
    ['a pipe with FORCE_COLOR=1', false, { FORCE_COLOR: '1' }, { color: true, progressBar: false }],
    ['a terminal with FORCE_COLOR=0', true, { TERM: 'xterm', FORCE_COLOR: '0' }, { color: false, progressBar: true }],
  ])('on %s', (_name, isTTY, env, expected) => {
    expect(detectTerminal({ isTTY }, env)).toEqual(expected);
    expect(isInteractive({ isTTY, write: () => true }, env)).toBe(expected.progressBar);
  });
});

describe('createConsoleSink', () => {
  it.each([
    [{ TERM: 'xterm' }, true],
    [{ TERM: 'xterm', NO_COLOR: '1' }, false],
    [{ TERM: 'dumb' }, false],
  ])('colours a warning on a terminal with %j: %s', (env, coloured) => {
    const stream = fakeStream(true);
    const sink = createConsoleSink({ current: null }, env, stream);
    sink('WARNING', 'sources.edgar.user_agent: no e-mail address');
    sink('INFO', 'universe: 3 stocks');
    expect(stream.text.includes(`${ESC}[33m`)).toBe(coloured);
    expect(stream.text.replace(/\u001b\[\d+m/g, '')).toBe('warning: sources.edgar.user_agent: no e-mail address\nuniverse: 3 stocks\n');
  });

  it('never colours a pipe', () => {
    const stream = fakeStream(false);
    createConsoleSink({ current: null }, { TERM: 'xterm-256color' }, stream)('ERROR', 'cannot write the database');
    expect(stream.text).toBe('error: cannot write the database\n');
  });
});

describe('createProgressReporter', () => {
  const failed = (symbol: string): Outcome => ({ status: 'failed', symbol, errorType: 'http_5xx', message: 'HTTP 503', attempts: 3, source: 'sec' });

  it('prints every line logged while the bar is up, the last one before stop() included', () => {
    const stream = fakeStream(true);
    const holder: { current: cliProgress.MultiBar | null } = { current: null };
    const log = createLogger({ file: null, fileLevel: 'DEBUG', consoleLevel: 'INFO', console: createConsoleSink(holder, { TERM: 'xterm', NO_COLOR: '1' }, stream), now: () => NOW });
    const reporter = createProgressReporter(log, { bar: true, intervalMs: 30_000, now: () => NOW, stream }, holder);
    reporter.events.onPlan?.({ entries: [1, 2, 3] });
    expect(holder.current).not.toBeNull();
    const counts = { successful: 0, failed: 0, skipped: 0, unchanged: 0 };
    reporter.events.onStockDone?.(failed('AAA'), { done: 1, total: 3, counts: { ...counts, failed: 1 } });
    reporter.events.onStockDone?.(failed('BBB'), { done: 2, total: 3, counts: { ...counts, failed: 2 } });
    // The very last line, logged microseconds before the bar stops: cli-progress would only print it at its next redraw.
    log.warn('last words before the bar closes');
    reporter.stop();
    expect(holder.current).toBeNull();
    for (const line of ['warning: AAA: failed (http_5xx) HTTP 503', 'warning: BBB: failed (http_5xx) HTTP 503', 'warning: last words before the bar closes']) {
      expect(stream.text.split(line).length - 1, line).toBe(1);
    }
    // Once stopped, lines go straight to the stream again.
    log.info('after the bar');
    expect(stream.text.endsWith('after the bar\n')).toBe(true);
  });

  it('draws no bar without a terminal and logs progress lines instead', () => {
    const stream = fakeStream(false);
    const holder: { current: cliProgress.MultiBar | null } = { current: null };
    const log = createLogger({ file: null, fileLevel: 'DEBUG', consoleLevel: 'INFO', console: createConsoleSink(holder, {}, stream), now: () => NOW });
    const reporter = createProgressReporter(log, { bar: false, intervalMs: 30_000, now: () => NOW, stream }, holder);
    reporter.events.onPlan?.({ entries: [1] });
    reporter.events.onStockDone?.({ status: 'successful', symbol: 'AAA', unchanged: false, notes: [] }, { done: 1, total: 1, counts: { successful: 1, failed: 0, skipped: 0, unchanged: 0 } });
    reporter.events.onRetryPass?.(['BBB']);
    reporter.stop();
    expect(holder.current).toBeNull();
    expect(stream.text).toBe('progress: 1/1 (100.0%), ok 1, failed 0, skipped 0, ETA 0s\nsecond pass for 1 failed stock: BBB\n');
    expect(stream.text).not.toContain(ESC);
  });
});
