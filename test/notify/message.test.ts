import { describe, expect, it } from 'vitest';
import { formatDuration, isErrorRun, MAX_LISTED_SYMBOLS, renderMessage } from '../../src/notify/message.js';
import type { SourceSection, SummaryReport } from '../../src/report/summary-report.js';
import { sampleReport } from '../helpers/sample-report.js';

function report(overrides: Partial<SummaryReport> = {}): SummaryReport {
  return sampleReport({
    unchanged: 10,
    requests: { sec: 300, yahoo: 5 },
    ...overrides,
  });
}

function degradedYahoo(): SummaryReport['sources'] {
  const yahoo = {
    ...(sampleReport().sources.yahoo as SourceSection),
    state: 'circuit_open' as const,
    state_reason: '3 HTTP 429s in a row without Retry-After',
    prices_refreshed: 0,
    prices_not_refreshed: 100,
  };
  return { ...sampleReport().sources, yahoo };
}

describe('isErrorRun', () => {
  it.each<[string, Partial<SummaryReport>, boolean]>([
    ['a clean completed run', {}, false],
    ['a run with failed stocks', { failed: 1, failed_symbols: ['X'] }, true],
    ['an aborted run', { status: 'aborted', exit_code: 3 }, true],
    ['an interrupted run', { status: 'interrupted', exit_code: 130 }, true],
    ['a completed run that exited non-zero (report not written)', { exit_code: 1 }, true],
    ['a run with skipped stocks only', { skipped: 4, successful: 96 }, false],
    ['a run whose Yahoo circuit opened', { sources: degradedYahoo() }, true],
    [
      'a run that recovered from a throttle',
      { sources: { ...sampleReport().sources, sec: { ...(sampleReport().sources.sec as SourceSection), state: 'throttled', state_reason: 'paused by HTTP 429' } } },
      false,
    ],
  ])('%s → %s', (_name, overrides, expected) => {
    expect(isErrorRun(report(overrides))).toBe(expected);
  });
});

describe('renderMessage', () => {
  it('names a degraded source in the subject and the text', () => {
    const { subject, text } = renderMessage(report({ sources: degradedYahoo() }), 'reports/x.json');
    expect(subject).toBe('batch-refresh completed, yahoo degraded: 100 successful, 0 failed, 0 skipped (100.00%)');
    expect(text).toContain('\nDegraded source: yahoo circuit_open (3 HTTP 429s in a row without Retry-After), 100 prices not refreshed\n');
  });

  it('renders the whole text of an aborted run', () => {
    const message = renderMessage(
      report({
        status: 'aborted',
        exit_code: 3,
        successful: 40,
        failed: 50,
        not_started: 10,
        success_rate: '44.44%',
        failed_symbols: ['AAA', 'BBB'],
        error_types: { forbidden: 50 },
        error_message: '50 consecutive failures',
        time_budget_exhausted: true,
      }),
      '/reports/batch_summary_20261125_020003.json',
    );
    expect(message.subject).toBe('batch-refresh ABORTED: 40 successful, 50 failed, 0 skipped (44.44%)');
    expect(message.text).toBe(
      [
        'Status: aborted (exit code 3)',
        'Error: 50 consecutive failures',
        'Time budget exhausted: stocks were left for the next run',
        'Started: 2026-11-25T02:00:03.120-05:00',
        'Ended: 2026-11-25T03:02:06.620-05:00',
        'Duration: 1h 02m 04s',
        '',
        'Total stocks: 100',
        'Successful: 40 (unchanged: 10)',
        'Failed: 50',
        'Skipped: 0',
        'Not started: 10',
        'Success rate: 44.44%',
        'Error types: forbidden 50',
        'Failed symbols (2): AAA, BBB',
        '',
        'Report: /reports/batch_summary_20261125_020003.json',
      ].join('\n'),
    );
  });

  it.each<[string, Partial<SummaryReport>, string]>([
    ['clean', {}, 'batch-refresh completed: 100 successful'],
    ['failures', { failed: 2, successful: 98 }, 'batch-refresh completed with failures: 98 successful, 2 failed'],
    ['interrupted', { status: 'interrupted', exit_code: 130 }, 'batch-refresh INTERRUPTED:'],
    ['non-zero exit', { exit_code: 1 }, 'batch-refresh completed, exit code 1:'],
  ])('subject of a %s run', (_name, overrides, start) => {
    expect(renderMessage(report(overrides), null).subject.startsWith(start)).toBe(true);
  });

  it(`lists the first ${MAX_LISTED_SYMBOLS} failed symbols and counts the rest`, () => {
    const symbols = Array.from({ length: 73 }, (_v, i) => `S${i}`);
    const { text } = renderMessage(report({ failed: 73, failed_symbols: symbols }), null);
    expect(text).toContain(`Failed symbols (73): ${symbols.slice(0, 50).join(', ')} and 23 more`);
    expect(text).not.toContain('S50');
  });

  it('says when no report was written', () => {
    expect(renderMessage(report(), null).text.endsWith('Report: not written')).toBe(true);
  });

  it.each([
    [0, '0s'],
    [59.4, '59s'],
    [61, '1m 01s'],
    [3600, '1h 00m 00s'],
  ])('formats %s seconds as %s', (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });
});
