import type { StorageFailureKind } from '../store.js';
import { databaseSecrets, type DatabaseConfig, type PgEnv } from './pg-connect.js';

/*
 * PostgreSQL's errors as the night reads them: which are a lost connection (the transaction is
 * tried again on a new one), which stop the run (every stock would fail the same way), and what
 * to tell the reader. SQLSTATE codes: https://www.postgresql.org/docs/15/errcodes-appendix.html
 */

/** The connection went away (the server restarted, a backend was terminated, the network broke): worth a new connection. */
export function isConnectionLost(error: unknown): boolean {
  const code = codeOf(error);
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return true;
  const message = messageOf(error);
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(message);
}

/** Two transactions in each other's way (a deadlock, a serialization failure): the loser is tried again. */
export function isConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code === '40P01' || code === '40001';
}

/** Read-only (a replica, default_transaction_read_only), a full disk, a server gone for good: no stock could be written. */
export function pgFailureKind(error: unknown): StorageFailureKind {
  const code = codeOf(error);
  if (code === '25006' || code === '53100' || code === '42501' || isConnectionLost(error)) return 'fatal';
  return 'stock';
}

/** What went wrong, said so the reader knows what to do; `where` is the redacted URL. */
export function explainPgError(error: unknown, where: string): string {
  const code = codeOf(error);
  const message = messageOf(error);
  if (code === '25006') return `${where} is read-only (a replica, or default_transaction_read_only is on): ${message}; point database.url at the primary`;
  if (code === '57014' && /statement timeout/i.test(message))
    return `a statement ran longer than database.statement_timeout_seconds on ${where} and was cancelled; raise it, or look for what slows the server`;
  if (code === '55P03')
    return `${where}: a row stayed locked by another program's write longer than database.busy_timeout_ms (${message}); run again once it is done, or raise database.busy_timeout_ms`;
  if (code === '28P01' || code === '28000') return `${where}: ${message}; check the password (database.password_file, the URL or PGPASSWORD) and the server's pg_hba.conf`;
  if (code === '3D000') return `${where}: ${message}; create the database first (createdb)`;
  if (code === '42501') return `${where}: ${message}; grant the user the rights to create and write the tables`;
  if (code === '53100') return `${where}: the server's disk is full (${message})`;
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(code) || /timeout expired/i.test(message)) {
    return `cannot reach the PostgreSQL server ${where} (${message}); is it running, and is database.url's host and port right?`;
  }
  if (isConnectionLost(error)) return `the connection to ${where} was lost (${message})`;
  return `${where}: ${message}`;
}

/** explainPgError with every literal of the password and the URL taken out, whatever the driver put in its message. */
export function describePgFailure(error: unknown, where: string, database: DatabaseConfig, env: PgEnv): string {
  return hideSecrets(explainPgError(error, where), databaseSecrets(database, env));
}

/** Each secret (longest first, so a URL goes before the password inside it) as `***`. */
export function hideSecrets(text: string, secrets: readonly string[]): string {
  return [...secrets].sort((a, b) => b.length - a.length).reduce((out, secret) => (secret === '' ? out : out.split(secret).join('***')), text);
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : '';
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === 'string' && message !== '') return message;
  // An AggregateError (every address refused) has no message of its own: its first error has.
  const first = (error as { errors?: unknown[] } | null)?.errors?.[0];
  return first === undefined ? String(error) : messageOf(first);
}
