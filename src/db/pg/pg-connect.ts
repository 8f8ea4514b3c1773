import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { ResolvedConfig } from '../../config/load-config.js';

/*
 * From the `database` keys to node-postgres's connection settings: the URL with the password
 * from database.password_file, else the URL's own, else PGPASSWORD, TLS as
 * database.ssl says, the statement and lock timeouts.
 */

export type DatabaseConfig = ResolvedConfig['database'];

/** The environment the connection reads: PGPASSWORD when neither the file nor the URL has a password. */
export interface PgEnv {
  PGPASSWORD?: string | undefined;
}

/** How long connecting may take before the run says the server cannot be reached. */
const CONNECT_TIMEOUT_MS = 10_000;

/** The URL as logs, reports and messages show it: no password, no query (where a password may also hide). */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return 'postgres://<unreadable url>';
  }
}

/** Every literal that must never reach a log or message: the password, wherever it came from, and the URL itself. */
export function databaseSecrets(database: DatabaseConfig, env: PgEnv): string[] {
  const secrets: string[] = [];
  if (database.url !== undefined) {
    secrets.push(database.url);
    const password = passwordOf(database.url);
    if (password !== '') secrets.push(password, safeDecode(password));
  }
  if (database.password_file !== undefined) {
    try {
      secrets.push(readFileSync(database.password_file, 'utf8').trim());
    } catch {
      // Unreadable: connecting says so, and there is nothing to hide.
    }
  }
  if (env.PGPASSWORD !== undefined && env.PGPASSWORD !== '') secrets.push(env.PGPASSWORD);
  return secrets.filter((secret) => secret !== '');
}

/** node-postgres's settings for the configured server; throws (naming the key, never the value) when the password file or CA file cannot be read. */
export function pgClientConfig(database: DatabaseConfig, env: PgEnv): pg.ClientConfig {
  const url = database.url;
  if (url === undefined) throw new Error('database.url is not set');
  const parsed = new URL(url);
  const urlPassword = safeDecode(parsed.password);
  // database.ssl decides over the URL's sslmode, which node-postgres would otherwise let win.
  if (database.ssl !== undefined) for (const key of ['sslmode', 'sslrootcert', 'sslcert', 'sslkey']) parsed.searchParams.delete(key);
  const password = database.password_file !== undefined ? readSecretFile(database.password_file) : urlPassword !== '' ? urlPassword : env.PGPASSWORD;
  // In the URL: node-postgres lets the URL's fields override the config's, an absent password included.
  if (password !== undefined && password !== '') parsed.password = encodeURIComponent(password);
  const timeoutMs = Math.round(database.statement_timeout_seconds * 1000);
  return {
    connectionString: parsed.toString(),
    ...(database.ssl === undefined ? {} : { ssl: sslOptions(database) }),
    ...(timeoutMs > 0 ? { statement_timeout: timeoutMs } : {}),
    // The PostgreSQL reading of database.busy_timeout_ms: how long a write waits for another's row lock.
    lock_timeout: database.busy_timeout_ms,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: 'batch-refresh',
    // As SQLite's synchronous = NORMAL in WAL mode: a commit is not waited on to reach the disk (a
    // crash of the server may lose the last moments of the run, never consistency), so a night's
    // thousands of small transactions do not each wait for an fsync.
    options: '-c synchronous_commit=off',
  };
}

function sslOptions(database: DatabaseConfig): pg.ClientConfig['ssl'] {
  if (database.ssl === 'disable') return false;
  if (database.ssl === 'require') return { rejectUnauthorized: false };
  const ca = database.ssl_ca_file === undefined ? undefined : readKeyFile(database.ssl_ca_file, 'database.ssl_ca_file');
  return { rejectUnauthorized: true, ...(ca === undefined ? {} : { ca }) };
}

function readSecretFile(file: string): string {
  const value = readKeyFile(file, 'database.password_file').trim();
  if (value === '') throw new Error(`database.password_file ${file} is empty`);
  return value;
}

function readKeyFile(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${key} ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function passwordOf(url: string): string {
  try {
    return new URL(url).password;
  } catch {
    return '';
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
