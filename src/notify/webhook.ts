import type { SummaryReport } from '../report/summary-report.js';
import { renderWebhookBody, type WebhookFormat } from './message.js';
import { describeError, redactText, urlSecrets } from './redact.js';

/** Characters of a refusing receiver's answer kept in the log (Slack says e.g. "invalid_payload"). */
const MAX_ANSWER_CHARS = 200;

/** POSTs the report to one webhook; resolves with null when delivered, else the (redacted) reason. Never rejects. */
export async function sendWebhook(
  webhook: { url: string; format: WebhookFormat },
  report: SummaryReport,
  reportPath: string | null,
  options: { fetch: typeof fetch; timeoutMs: number },
): Promise<string | null> {
  const secrets = urlSecrets(webhook.url);
  try {
    const response = await options.fetch(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'batch-refresh' },
      body: JSON.stringify(renderWebhookBody(webhook.format, report, reportPath)),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return null;
    }
    const answer = (await response.text().catch(() => '')).trim().slice(0, MAX_ANSWER_CHARS);
    return redactText(`HTTP ${response.status}${answer === '' ? '' : `: ${answer}`}`, secrets);
  } catch (error) {
    return describeError(error, secrets);
  }
}
