import type { Config } from '../config/schema.js';
import type { SummaryReport } from '../report/summary-report.js';
import { createSmtpTransport, sendEmail, type CreateTransport } from './email.js';
import { isErrorRun, renderMessage } from './message.js';
import { describeError, redactUrl, urlSecrets, urlTokens } from './redact.js';
import { createSecretReader } from './secrets.js';
import { resolveWebhookUrl, sendWebhook } from './webhook.js';

export { isErrorRun, renderMessage, renderWebhookBody } from './message.js';
export type { CreateTransport, MailTransport, SmtpOptions } from './email.js';

/** Per-attempt ceiling for an SMTP phase or a webhook request. */
export const DEFAULT_NOTIFY_TIMEOUT_MS = 15_000;

/** Side effects of `sendNotifications`. */
export interface NotifyDeps {
  /** Where `notifications.email.password_env` and `notifications.webhooks[].url_env` are looked up. */
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
  log: { info(message: string): void; warn(message: string): void; error(message: string): void };
  /** Builds the SMTP transport. @default nodemailer.createTransport */
  createTransport?: CreateTransport;
  /** Connection, greeting and socket timeout of SMTP (the whole send: 3×), and the webhook request timeout. @default 15000 */
  timeoutMs?: number;
}

/** One channel that was due this run. Channels skipped by `on_error_only` are not listed. */
export interface NotificationResult {
  /** "email" or "webhook #1 (slack, https://hooks.slack.com/…)": never a full webhook URL ("webhook #1 (slack)" when it could not be read). */
  channel: string;
  delivered: boolean;
  /** Why it was not delivered; redacted (no password, no webhook path or query). */
  error?: string;
}

/**
 * Sends what `notifications` asks for, all channels at once. A channel that fails is logged as a
 * warning and reported in the result; this never throws and never rejects, so a dead mail server
 * cannot fail the run it reports on.
 */
export async function sendNotifications(notifications: Config['notifications'], report: SummaryReport, reportPath: string | null, deps: NotifyDeps): Promise<NotificationResult[]> {
  // Secrets are read only for the channels due, and as late as possible; every value read is
  // remembered for the redaction of a last-resort error.
  const secrets = createSecretReader(deps.env, (message) => deps.log.warn(message));
  try {
    if (!notifications.enabled) return [];
    const errorRun = isErrorRun(report);
    const due = (onErrorOnly: boolean): boolean => !onErrorOnly || errorRun;
    const timeoutMs = deps.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
    const message = renderMessage(report, reportPath);
    const sends: Promise<NotificationResult>[] = [];
    let skipped = 0;

    const { email } = notifications;
    if (email.enabled && due(email.on_error_only)) {
      const createTransport = deps.createTransport ?? createSmtpTransport;
      sends.push(settle('email', sendEmail(email, message, { secrets, createTransport, timeoutMs })));
    } else if (email.enabled) {
      skipped += 1;
    }
    notifications.webhooks.forEach((webhook, index) => {
      if (!due(webhook.on_error_only)) {
        skipped += 1;
        return;
      }
      const target = resolveWebhookUrl(webhook, `notifications.webhooks.${index}`, secrets);
      if (!target.ok) {
        sends.push(settle(`webhook #${index + 1} (${webhook.format})`, Promise.resolve(target.reason)));
        return;
      }
      const channel = `webhook #${index + 1} (${webhook.format}, ${redactUrl(target.url)})`;
      sends.push(settle(channel, sendWebhook({ url: target.url, format: webhook.format }, report, reportPath, { fetch: deps.fetch, timeoutMs })));
    });

    if (skipped > 0) deps.log.info(`notifications: ${skipped} channel(s) notify on errors only; this run had none`);
    const results = await Promise.all(sends);
    for (const result of results) {
      if (result.delivered) deps.log.info(`notification sent: ${result.channel}`);
      else deps.log.warn(`notification not delivered: ${result.channel}: ${result.error ?? 'unknown error'}`);
    }
    return results;
  } catch (error) {
    // Only a bug (or a throwing logger) gets here; the message is redacted all the same.
    const urls = [...secrets.known(), ...notifications.webhooks.flatMap((webhook) => (webhook.url === undefined ? [] : [webhook.url]))];
    const known = urls.flatMap((value) => [...urlSecrets(value), ...urlTokens(value)]);
    try {
      deps.log.error(`notifications failed: ${describeError(error, known)}`);
    } catch {
      // Nowhere left to say it.
    }
    return [];
  }
}

async function settle(channel: string, send: Promise<string | null>): Promise<NotificationResult> {
  const error = await send.catch((thrown: unknown) => (thrown instanceof Error ? thrown.name : 'unknown error'));
  return error === null ? { channel, delivered: true } : { channel, delivered: false, error };
}
