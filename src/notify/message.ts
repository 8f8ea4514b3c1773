import { EXIT } from '../errors.js';
import { degradedSources } from '../report/degraded.js';
import type { SummaryReport } from '../report/summary-report.js';

/** Failed symbols listed by name in a message; the rest are counted. */
export const MAX_LISTED_SYMBOLS = 50;

/** Discord rejects a message whose `content` is longer than this. */
export const DISCORD_MAX_CHARS = 2000;

export type WebhookFormat = 'slack' | 'discord' | 'json';

/**
 * A run worth an `on_error_only` notification: failed stocks, an abort, an interruption, any other
 * non-zero exit (a report that could not be written, nothing attempted), or a degraded source.
 */
export function isErrorRun(report: SummaryReport): boolean {
  return report.failed > 0 || report.status !== 'completed' || report.exit_code !== EXIT.OK || Object.keys(degradedSources(report.sources)).length > 0;
}

/** Subject line and plain-text body shared by every channel. */
export function renderMessage(report: SummaryReport, reportPath: string | null): { subject: string; text: string } {
  const degraded = Object.entries(degradedSources(report.sources));
  const label =
    report.status !== 'completed'
      ? report.status.toUpperCase()
      : report.failed > 0
        ? 'completed with failures'
        : report.exit_code !== EXIT.OK
          ? `completed, exit code ${report.exit_code}`
          : degraded.length > 0
            ? `completed, ${degraded.map(([source]) => source).join(' and ')} degraded`
            : 'completed';
  const subject = `batch-refresh ${label}: ${report.successful} successful, ${report.failed} failed, ${report.skipped} skipped (${report.success_rate})`;
  const lines = [
    `Status: ${report.status} (exit code ${report.exit_code})`,
    ...(report.error_message !== null ? [`Error: ${report.error_message}`] : []),
    ...(report.time_budget_exhausted ? ['Time budget exhausted: stocks were left for the next run'] : []),
    `Started: ${report.start_time}`,
    `Ended: ${report.end_time}`,
    `Duration: ${formatDuration(report.duration_seconds)}`,
    '',
    `Total stocks: ${report.total_stocks}`,
    `Successful: ${report.successful} (unchanged: ${report.unchanged})`,
    `Failed: ${report.failed}`,
    `Skipped: ${report.skipped}`,
    `Not started: ${report.not_started}`,
    `Success rate: ${report.success_rate}`,
  ];
  const errorTypes = Object.entries(report.error_types).map(([type, count]) => `${type} ${count}`);
  if (errorTypes.length > 0) lines.push(`Error types: ${errorTypes.join(', ')}`);
  if (report.failed_symbols.length > 0) lines.push(`Failed symbols (${report.failed_symbols.length}): ${listSymbols(report.failed_symbols)}`);
  for (const [source, what] of degraded) lines.push(`Degraded source: ${source} ${what}`);
  lines.push('', `Report: ${reportPath ?? 'not written'}`);
  return { subject, text: lines.join('\n') };
}

/** The JSON body POSTed to a webhook of the given format. */
export function renderWebhookBody(format: WebhookFormat, report: SummaryReport, reportPath: string | null): unknown {
  const { subject, text } = renderMessage(report, reportPath);
  switch (format) {
    case 'slack':
      return { text: `*${escapeSlack(subject)}*\n${escapeSlack(text)}` };
    case 'discord': {
      // A long error message is cut, never the report path at the end; and nothing may ping anyone.
      const cut = text.lastIndexOf('\n');
      const tail = text.slice(cut);
      const head = truncate(`**${subject}**\n${text.slice(0, cut)}`, DISCORD_MAX_CHARS - tail.length);
      return { content: truncate(`${head}${tail}`, DISCORD_MAX_CHARS), allowed_mentions: { parse: [] } };
    }
    case 'json':
      return { event: 'batch_refresh.run', report_path: reportPath, ...report };
  }
}

function listSymbols(symbols: readonly string[]): string {
  const listed = symbols.slice(0, MAX_LISTED_SYMBOLS).join(', ');
  const rest = symbols.length - MAX_LISTED_SYMBOLS;
  return rest > 0 ? `${listed} and ${rest} more` : listed;
}

/** 3723.4 → "1h 02m 03s". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s)}s` : m > 0 ? `${m}m ${pad(s)}s` : `${s}s`;
}

/** Slack reads `<…>` as links and mentions and `&` as an entity start. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return max < 1 ? '' : `${text.slice(0, max - 1)}…`;
}
