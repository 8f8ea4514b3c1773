import nodemailer from 'nodemailer';
import type { Config } from '../config/schema.js';
import { describeError } from './redact.js';
import type { SecretReader, SecretRef } from './secrets.js';

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
  options: { secrets: SecretReader; createTransport: CreateTransport; timeoutMs: number },
): Promise<string | null> {
  const missing = missingSetting(email);
  if (missing !== null) return missing;
  let auth: SmtpOptions['auth'];
  if (email.username !== undefined && email.username !== '') {
    const ref = passwordRef(email);
    if (ref === null) {
      return 'notifications.email.username is set but no password: set notifications.email.password_env (the name of the environment variable holding it) or notifications.email.password_file';
    }
    const pass = options.secrets.read(ref);
    if (!pass.ok) return pass.reason;
    auth = { user: email.username, pass: pass.value };
  }
  // Also as AUTH PLAIN and AUTH LOGIN put it on the wire, should a server quote the command back.
  const secrets = auth === undefined ? [] : [auth.pass, base64(auth.pass), base64(`\u0000${auth.user}\u0000${auth.pass}`)];
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

/** Where the SMTP password is: the schema allows at most one of the two keys. */
function passwordRef(email: EmailConfig): SecretRef | null {
  if (email.password_file !== undefined && email.password_file !== '') return { kind: 'file', path: email.password_file, key: 'notifications.email.password_file' };
  if (email.password_env !== undefined && email.password_env !== '') return { kind: 'env', name: email.password_env, key: 'notifications.email.password_env' };
  return null;
}

function missingSetting(email: EmailConfig): string | null {
  if (email.smtp_server.trim() === '') return 'notifications.email.smtp_server is empty';
  if (email.from_address.trim() === '') return 'notifications.email.from_address is empty';
  if (email.to_addresses.length === 0) return 'notifications.email.to_addresses is empty';
  return null;
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the SMTP server within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
