import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { writeTestConfig } from './cli.js';
import { adminQuery } from './postgres.js';

/*
 * Every row of every table of batch-refresh's schema, from an SQLite file or a PostgreSQL
 * database, in one comparable form: rows sorted by their JSON, so neither a store's scan order
 * nor its collation counts. `ignore` names table.column pairs that may differ between two stores
 * (numbering the database chooses, paths of the run's own folder).
 */

export type TableRows = Record<string, Record<string, unknown>[]>;

/** The tables of the schema, as SQLite has them (PostgreSQL has its bookkeeping besides: schema_migrations, runs). */
export function schemaTables(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((row) => row.name);
  } finally {
    db.close();
  }
}

export function sqliteRows(file: string, tables: readonly string[], ignore: readonly string[] = []): TableRows {
  const db = new Database(file, { readonly: true });
  try {
    return Object.fromEntries(tables.map((table) => [table, normalise(table, db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[], ignore)]));
  } finally {
    db.close();
  }
}

export async function postgresRows(url: string, tables: readonly string[], ignore: readonly string[] = []): Promise<TableRows> {
  const out: TableRows = {};
  for (const table of tables) out[table] = normalise(table, await adminQuery(url, `SELECT * FROM ${table}`), ignore);
  return out;
}

function normalise(table: string, rows: Record<string, unknown>[], ignore: readonly string[]): Record<string, unknown>[] {
  const dropped = new Set(ignore.filter((key) => key.startsWith(`${table}.`)).map((key) => key.slice(table.length + 1)));
  return rows
    .map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => !dropped.has(column))))
    .map((row) => [JSON.stringify(row), row] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, row]) => row);
}

/** writeTestConfig's config, with PostgreSQL at `databaseUrl` in place of the SQLite file. */
export function writePostgresConfig(dir: string, standInUrl: string, databaseUrl: string, overrides: Record<string, unknown> = {}): string {
  const file = writeTestConfig(dir, standInUrl, overrides);
  const config = JSON.parse(readFileSync(file, 'utf8')) as { database: Record<string, unknown> };
  delete config.database.path;
  config.database.url = databaseUrl;
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** The SQLite file writeTestConfig's config names. */
export function sqliteFileOf(dir: string): string {
  return path.join(dir, 'stocks.db');
}
