import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { redactText } from '../notify/redact.js';
import { pruneFiles } from '../report/summary-report.js';

/*
 * The backup before a run when the store is PostgreSQL: `pg_dump --format=custom` into the backup
 * folder, checked with `pg_restore --list`, the newest `keep` kept, as SQLite's backups are
 * (backup-database.ts). pg_dump is a client program that may not be installed where the job runs
 * (a slim container, a managed database's host): then the run makes no backup and says so in the
 * result, for the log and the report, never silently.
 */

/** The dumps this module writes and prunes; SQLite's `.db` backups in the same folder are left alone. */
export const POSTGRES_BACKUP_PATTERN = /^stocks_backup_\d{8}_\d{6}(?:_\d+)?\.dump$/;

/** Why there is no dump when pg_dump or pg_restore is not installed: the words the log and the report carry. */
export const SERVER_BACKUP_NOTE = "backups are the server's job";

/** pg_dump waits this long for the server to answer before giving up (libpq's connect_timeout). */
export const PG_CONNECT_TIMEOUT_SECONDS = 10;

export interface PostgresBackupOptions {
  /** `postgres://user[:password]@host:port/database?sslmode=…`, as `database.url` holds it. */
  url: string;
  /** The password when it comes apart from the URL (from the environment or a file); wins over the URL's. */
  password?: string;
  /** TLS as `database.ssl` says; wins over the URL's sslmode. @default the URL's sslmode, else libpq's default */
  ssl?: 'disable' | 'require' | 'verify-full';
  /** The CA certificate file for `verify-full` (`database.ssl_ca_file`): libpq's sslrootcert. */
  sslRootCert?: string;
  /** The backup folder (`database.backup_directory`), created 0750 when missing. */
  directory: string;
  /** YYYYMMDD_HHMMSS, as SQLite's backups are named. */
  stamp: string;
  /** Dumps kept, this one included (`database.keep_last_n_backups`). */
  keep: number;
  /** Where pg_dump and pg_restore are looked for. @default process.env.PATH */
  searchPath?: string;
  /** Stops pg_dump or pg_restore (the run was interrupted); the partial file is removed. */
  signal?: AbortSignal;
}

/**
 * What the backup before the run did on PostgreSQL:
 * - `pg_dump`: a custom-format dump at `path` that `pg_restore --list` read whole, with its entry
 *   count and how many of them hold a table's rows;
 * - `server`: no dump, because pg_dump or pg_restore is not on PATH; `note` says so plainly
 *   (it starts with SERVER_BACKUP_NOTE) for the log and the report.
 */
export type PostgresBackupResult = { kind: 'pg_dump'; path: string; bytes: number; entries: number; tables: number } | { kind: 'server'; path: null; note: string };

/**
 * Dumps the database at `options.url` with `pg_dump --format=custom`, verifies the file with
 * `pg_restore --list` and prunes the oldest dumps beyond `keep`. The password reaches pg_dump
 * through a temporary passfile (mode 0600, deleted after), never its command line or environment
 * listing, and is cut from every message. Throws when pg_dump or the check fails (no file is left).
 */
export async function backupPostgres(options: PostgresBackupOptions): Promise<PostgresBackupResult> {
  const searchPath = options.searchPath ?? process.env.PATH ?? '';
  const pgDump = findOnPath('pg_dump', searchPath);
  const pgRestore = findOnPath('pg_restore', searchPath);
  if (pgDump === null || pgRestore === null) {
    const missing = [pgDump === null ? 'pg_dump' : null, pgRestore === null ? 'pg_restore' : null].filter((name) => name !== null).join(' and ');
    return { kind: 'server', path: null, note: `${SERVER_BACKUP_NOTE}: ${missing} not on PATH, so this run made no backup of its own (install PostgreSQL's client programs to have one)` };
  }
  const connection = libpqConnection(options);
  const secrets = connection.password === null ? [] : [connection.password, encodeURIComponent(connection.password)];
  mkdirSync(options.directory, { recursive: true, mode: 0o750 });
  let target = path.join(options.directory, `stocks_backup_${options.stamp}.dump`);
  for (let n = 1; existsSync(target); n += 1) target = path.join(options.directory, `stocks_backup_${options.stamp}_${n}.dump`);
  const passDir = mkdtempSync(path.join(tmpdir(), 'batch-refresh-pgpass-'));
  try {
    const env = childEnv(searchPath, connection.password, passDir);
    const dumped = await runTool(pgDump, ['--format=custom', '--no-password', `--file=${target}`, `--dbname=${connection.uri}`], env, options.signal);
    if (dumped.code !== 0) throw new Error(`pg_dump failed (${dumped.code}): ${redactText(lastLines(dumped.stderr), secrets)}`);
    const listed = await runTool(pgRestore, ['--list', target], env, options.signal);
    if (listed.code !== 0 || !/^;\s+Format: CUSTOM$/m.test(listed.stdout)) {
      throw new Error(`the dump ${target} is not a readable archive (pg_restore --list: ${redactText(lastLines(listed.stderr), secrets) || `exit ${listed.code}`})`);
    }
    const entries = listed.stdout.split('\n').filter((line) => line.trim() !== '' && !line.startsWith(';'));
    pruneFiles(options.directory, POSTGRES_BACKUP_PATTERN, options.keep, path.basename(target));
    return { kind: 'pg_dump', path: target, bytes: statSync(target).size, entries: entries.length, tables: entries.filter((line) => line.includes(' TABLE DATA ')).length };
  } catch (error) {
    rmSync(target, { force: true });
    throw error;
  } finally {
    rmSync(passDir, { recursive: true, force: true });
  }
}

/** One line for the log: where the dump went and what it holds, or why there is none. */
export function describePostgresBackup(result: PostgresBackupResult): string {
  if (result.kind === 'server') return result.note;
  return `backup: ${result.path} (${result.bytes} bytes, pg_dump custom format, ${result.entries} entries, ${result.tables} tables' rows; pg_restore --list ok)`;
}

/** The executable `name` in the first folder of `searchPath` that has one, or null. */
export function findOnPath(name: string, searchPath: string): string | null {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The URL as libpq reads it, without its password; node-postgres' own `ssl=` becomes libpq's
 * `sslmode=` (libpq refuses query parameters it does not know), and the config's TLS settings
 * go in as sslmode and sslrootcert.
 */
function libpqConnection({ url, password, ssl, sslRootCert }: PostgresBackupOptions): { uri: string; password: string | null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('the database URL is not a valid postgres:// URL');
  }
  const fromUrl = parsed.password === '' ? null : decodeURIComponent(parsed.password);
  parsed.password = '';
  const urlSsl = parsed.searchParams.get('ssl');
  if (urlSsl !== null) {
    parsed.searchParams.delete('ssl');
    if (!parsed.searchParams.has('sslmode')) parsed.searchParams.set('sslmode', ['false', '0'].includes(urlSsl) ? 'disable' : 'require');
  }
  if (parsed.searchParams.get('sslmode') === 'no-verify') parsed.searchParams.set('sslmode', 'require');
  parsed.searchParams.delete('uselibpqcompat');
  if (ssl !== undefined) parsed.searchParams.set('sslmode', ssl);
  if (sslRootCert !== undefined) parsed.searchParams.set('sslrootcert', sslRootCert);
  return { uri: parsed.toString(), password: password ?? fromUrl };
}

/** The child's environment: the search path, a connect timeout, and the password only through a passfile. */
function childEnv(searchPath: string, password: string | null, passDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: searchPath, PGCONNECT_TIMEOUT: String(PG_CONNECT_TIMEOUT_SECONDS) };
  if (password !== null) {
    // PGPASSWORD would win over the passfile, and an environment is easier to read than a 0600 file.
    delete env.PGPASSWORD;
    const passfile = path.join(passDir, 'pgpass');
    writeFileSync(passfile, `*:*:*:*:${password.replace(/[\\:]/g, (c) => `\\${c}`)}\n`, { mode: 0o600 });
    env.PGPASSFILE = passfile;
  }
  return env;
}

function runTool(file: string, args: string[], env: NodeJS.ProcessEnv, signal: AbortSignal | undefined): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], signal });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8192)));
    child.on('error', (error) => reject(error.name === 'AbortError' ? new Error(`${path.basename(file)} was stopped: the run was interrupted`) : error));
    child.on('close', (code, signalName) => resolve({ code: code ?? signalName ?? 'killed', stdout, stderr }));
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' / ');
}
