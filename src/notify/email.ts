import nodemailer from 'nodemailer';
import type { Config } from '../config/schema.js';
import { describeError } from './redact.js';

/** What `sendEmail` hands the transport factory: nodemailer's SMTP options, the part we set. */
export interface SmtpOptions {
  host: string;
  port: number;
  /** TLS from the first byte: port 465 (SMTPS). */
  secure: boolean;
  /** Refuse to go on without STARTTLS (use_tls on a submission port). */
  requireTLS: boolean;
  auth?: { user: string; pass: string };
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
}

/** The part of a nodemailer transporter used here. */
export interface MailTransport {
  sendMail(message: { from: string; to: string[]; subject: string; text: string }): Promise<unknown>;
  close(): void;
}

export type CreateTransport = (options: SmtpOptions) => MailTransport;

export const createSmtpTransport: CreateTransport = (options) => nodemailer.createTransport(options);

type EmailConfig = Config['notifications']['email'];

/** Sends one message; resolves with null when delivered, else the (redacted) reason. Never rejects. */
export async function sendEmail(
  email: EmailConfig,
  message: { subject: string; text: string },
  options: { env: NodeJS.ProcessEnv; createTransport: CreateTransport; timeoutMs: number },
): Promise<string | null> {
  const missing = missingSetting(email);
  if (missing !== null) return missing;
  let auth: SmtpOptions['auth'];
  if (email.username !== undefined && email.username !== '') {
    if (email.password_env === undefined || email.password_env === '') {
      return 'notifications.email.username is set but notifications.email.password_env (the name of the environment variable holding the password) is not';
    }
    const pass = options.env[email.password_env];
    // The variable's NAME only: its value is the secret.
    if (pass === undefined || pass === '') return `environment variable ${email.password_env} (notifications.email.password_env) is not set`;
    auth = { user: email.username, pass };
  }
  const secrets = auth === undefined ? [] : [auth.pass];
  let transport: MailTransport | undefined;
  try {
    transport = options.createTransport({
      host: email.smtp_server,
      port: email.smtp_port,
      secure: email.smtp_port === 465,
      requireTLS: email.use_tls && email.smtp_port !== 465,
      ...(auth !== undefined ? { auth } : {}),
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
    });
    // nodemailer's own timeouts are per phase; this bounds the whole exchange.
    await withDeadline(transport.sendMail({ from: email.from_address, to: email.to_addresses, subject: message.subject, text: message.text }), options.timeoutMs * 3);
    return null;
  } catch (error) {
    return describeError(error, secrets);
  } finally {
    try {
      transport?.close();
    } catch {
      // Closing is best effort; the message is already sent or lost.
    }
  }
}

function missingSetting(email: EmailConfig): string | null {
  if (email.smtp_server.trim() === '') return 'notifications.email.smtp_server is empty';
  if (email.from_address.trim() === '') return 'notifications.email.from_address is empty';
  if (email.to_addresses.length === 0) return 'notifications.email.to_addresses is empty';
  return null;
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the SMTP server within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
