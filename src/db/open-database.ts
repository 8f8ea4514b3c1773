import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, renderMigration } from './migrations.js';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  busyTimeoutMs: number;
  readonly?: boolean;
}

/**
 * Opens the database in WAL mode (readers such as the screener's web app never block the run, nor
 * it them) with a busy timeout, and brings the schema up to date.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions): Db {
  if (options.readonly !== true) mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
  const db = new Database(file, { readonly: options.readonly === true, fileMustExist: options.readonly === true });
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  if (options.readonly !== true) {
    db.pragma('journal_mode = WAL');
    // NORMAL is durable at every checkpoint and safe against corruption in WAL mode.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  }
  return db;
}

/** Applies the migrations above `PRAGMA user_version`, each in its own transaction. */
export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`the database schema is version ${current}, newer than this batch-refresh knows (${MIGRATIONS.length}); upgrade batch-refresh`);
  }
  for (let version = current; version < MIGRATIONS.length; version += 1) {
    const sql = renderMigration(MIGRATIONS[version] as string, 'sqlite');
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
