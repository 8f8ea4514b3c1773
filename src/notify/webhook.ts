import type { SummaryReport } from '../report/summary-report.js';
import { renderWebhookBody, type WebhookFormat } from './message.js';
import { describeError, redactText, urlSecrets, urlTokens } from './redact.js';
import type { SecretReader, SecretRef } from './secrets.js';

/** Characters of a refusing receiver's answer kept in the log (Slack says e.g. "invalid_payload"). */
const MAX_ANSWER_CHARS = 200;

/** One `notifications.webhooks` entry; the schema makes exactly one of `url`, `url_env`, `url_file` set. */
export interface WebhookConfig {
  url?: string | undefined;
  url_env?: string | undefined;
  url_file?: string | undefined;
  format: WebhookFormat;
}

/**
 * The webhook's URL, from the config, the environment or a file. A URL read from elsewhere is checked
 * here (the schema could not): the reason names the variable or file, never its content.
 */
export function resolveWebhookUrl(webhook: WebhookConfig, key: string, secrets: SecretReader): { ok: true; url: string } | { ok: false; reason: string } {
  if (webhook.url !== undefined) return { ok: true, url: webhook.url };
  const ref: SecretRef | null =
    webhook.url_env !== undefined
      ? { kind: 'env', name: webhook.url_env, key: `${key}.url_env` }
      : webhook.url_file !== undefined
        ? { kind: 'file', path: webhook.url_file, key: `${key}.url_file` }
        : null;
  if (ref === null) return { ok: false, reason: `${key}: none of url, url_env or url_file is set` };
  const read = secrets.read(ref);
  if (!read.ok) return read;
  const where = ref.kind === 'env' ? `environment variable ${ref.name} (${ref.key})` : `file ${ref.path} (${ref.key})`;
  if (!isHttpUrl(read.value)) return { ok: false, reason: `${where} does not hold an http(s) URL` };
  return { ok: true, url: read.value };
}

/** POSTs the report to one webhook; resolves with null when delivered, else the (redacted) reason. Never rejects. */
export async function sendWebhook(
  webhook: { url: string; format: WebhookFormat },
  report: SummaryReport,
  reportPath: string | null,
  options: { fetch: typeof fetch; timeoutMs: number },
): Promise<string | null> {
  const secrets = [...urlSecrets(webhook.url), ...urlTokens(webhook.url)];
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

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
