import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/runner/outcome.js';
import { OutcomeLedger, RunControl } from '../../src/runner/run-control.js';

/** The night's shared state, in-process with a clock the test moves. */
function night(options: { deadlineMs?: number; maxConsecutiveFailures?: number; continueOnError?: boolean; signal?: AbortSignal } = {}) {
  let nowMs = Date.parse('2026-11-25T07:00:00Z');
  const now = (): Date => new Date(nowMs);
  const control = new RunControl({ now, deadline: options.deadlineMs === undefined ? null : new Date(nowMs + options.deadlineMs), signal: options.signal });
  const done: string[] = [];
  const ledger = new OutcomeLedger(10, control, {
    limits: { maxConsecutiveFailures: options.maxConsecutiveFailures ?? 3, continueOnError: options.continueOnError ?? true },
    onStockDone: (outcome, progress) => done.push(`${outcome.symbol} ${String(progress.done)}/${String(progress.total)} ok=${String(progress.counts.successful)}`),
  });
  return { control, ledger, done, advance: (ms: number) => (nowMs += ms) };
}

const ok = (symbol: string): Outcome => ({ status: 'successful', symbol, unchanged: false, notes: [] });
const failed = (symbol: string): Outcome => ({ status: 'failed', symbol, errorType: 'http_5xx', message: '503', attempts: 3, source: 'sec' });

describe('RunControl and OutcomeLedger: the stop and the outcomes of a night, kept once', () => {
  it('aborts after max_consecutive_failures failures in a row; a success in between resets the count', () => {
    const { control, ledger } = night({ maxConsecutiveFailures: 3 });
    for (const outcome of [failed('A'), failed('B'), ok('C'), failed('D'), failed('E')]) ledger.record(outcome, true);
    expect(control.stopped()).toBe(false);
    ledger.record(failed('F'), true);
    expect(control.stopped()).toBe(true);
    expect(control.status()).toBe('aborted');
    expect(control.abortReason).toBe('3 consecutive failures (error_handling.max_consecutive_failures); last: F: 503');
  });

  it('does not count failures recorded without the limits (a second pass, a rebuild)', () => {
    const { control, ledger } = night({ maxConsecutiveFailures: 1 });
    ledger.record(failed('A'), false);
    expect(control.stopped()).toBe(false);
  });

  it('stops at the first failure with continue_on_error false, and the first reason stands', () => {
    const { control, ledger } = night({ continueOnError: false });
    ledger.record(failed('A'), true);
    control.abort('a later reason');
    expect(control.abortReason).toBe('continue_on_error is false: stopped at the first failure (A: 503)');
  });

  it('stops once the time budget is spent, and says so; the stop signal ends downloads', async () => {
    const { control, advance } = night({ deadlineMs: 50 });
    expect(control.stopped()).toBe(false);
    advance(60);
    expect(control.stopped()).toBe(true);
    expect(control.budgetExhausted).toBe(true);
    expect(control.status()).toBe('completed');
    // The real timer fires too (downloads are cut at once, not between entries).
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(control.stopSignal.aborted).toBe(true);
    control.dispose();
  });

  it('is interrupted by SIGINT/SIGTERM (the signal), which also ends downloads', () => {
    const signal = new AbortController();
    const { control } = night({ signal: signal.signal });
    signal.abort('SIGTERM');
    expect(control.stopped()).toBe(true);
    expect(control.status()).toBe('interrupted');
    expect(control.stopSignal.aborted).toBe(true);
    control.dispose();
  });

  it('reports progress over the whole plan, forgets outcomes tried again, and orders them by the plan', () => {
    const { ledger, done } = night();
    ledger.record(ok('B'), true);
    ledger.record(failed('A'), true);
    ledger.forget(['A']);
    ledger.record(ok('A'), false);
    expect(done).toEqual(['B 1/10 ok=1', 'A 2/10 ok=1', 'A 2/10 ok=2']);
    expect(ledger.ordered([{ symbol: 'A' }, { symbol: 'X' }, { symbol: 'B' }]).map((outcome) => outcome.symbol)).toEqual(['A', 'B']);
  });
});
