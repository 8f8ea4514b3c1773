import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe } from 'vitest';
import { parseConfig, type ResolvedConfig } from '../../src/config/load-config.js';
import { openStore } from '../../src/db/open-store.js';
import type { Store } from '../../src/db/store.js';
import { adminQuery, describePostgres, throwawayDatabases } from './postgres.js';
import { tempDirs } from './temp-dirs.js';

/*
 * The same store suite on SQLite and on PostgreSQL: `bothStores(name, suite)` runs `suite` once
 * with SQLite stores and once with PostgreSQL ones (skipped without a test server, failing under
 * CI), each store opened through the product's Store interface and closed after its test.
 */

const tempDir = tempDirs();

/** The database keys of a config naming `database` (a SQLite path or a PostgreSQL URL). */
function databaseKeys(database: { path: string } | { url: string }): ResolvedConfig['database'] {
  const parsed = parseConfig({ database: { ...database, backup_before_run: false } }, '/tmp/config.json');
  if (!parsed.ok) throw new Error(parsed.issues.join('; '));
  return parsed.config.database;
}

/** A store under test, either dialect, and a way to read its tables (`?` placeholders). */
export interface Opened {
  dialect: 'sqlite' | 'postgres';
  store: Store;
  rows<Row>(text: string, ...values: unknown[]): Promise<Row[]>;
}

const opened: Store[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

async function openSqliteStore(): Promise<Opened> {
  const file = path.join(tempDir('store-'), 'stocks.db');
  const store = await openStore(databaseKeys({ path: file }));
  opened.push(store);
  // A connection of the test's own (WAL: it reads and writes beside the store's); a statement that returns no rows answers [].
  const own = new Database(file);
  const rows = <Row>(text: string, ...values: unknown[]): Promise<Row[]> => {
    const statement = own.prepare(text);
    if (statement.reader) return Promise.resolve(statement.all(...values) as Row[]);
    statement.run(...values);
    return Promise.resolve([]);
  };
  return { dialect: 'sqlite', store, rows };
}

function openPostgresStore(newDatabase: () => Promise<string>): () => Promise<Opened> {
  return async () => {
    const url = await newDatabase();
    const store = await openStore(databaseKeys({ url }));
    opened.push(store);
    const numbered = (text: string): string => {
      let n = 0;
      return text.replace(/\?/g, () => `$${(n += 1)}`);
    };
    return { dialect: 'postgres', store, rows: <Row>(text: string, ...values: unknown[]) => adminQuery<Row>(url, numbered(text), values) };
  };
}

/** `suite` on SQLite stores, then on PostgreSQL stores (each `open()` a fresh, empty database). */
export function bothStores(name: string, suite: (open: () => Promise<Opened>) => void): void {
  describe(`${name} (SQLite)`, () => suite(openSqliteStore));
  describePostgres(`${name} (PostgreSQL)`, (serverUrl) => suite(openPostgresStore(throwawayDatabases(serverUrl))));
}
