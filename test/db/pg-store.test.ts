import path from 'node:path';
import { expect, it } from 'vitest';
import { parseConfig, type ResolvedConfig } from '../../src/config/load-config.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { openDatabase } from '../../src/db/open-database.js';
import { openStore } from '../../src/db/open-store.js';
import { adminQuery, describePostgres, throwawayDatabases } from '../helpers/postgres.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();

/** The database keys of a config whose database is `url`. */
export function postgresDatabase(url: string, extra: Record<string, unknown> = {}): ResolvedConfig['database'] {
  const parsed = parseConfig({ database: { url, ...extra } }, '/tmp/config.json');
  if (!parsed.ok) throw new Error(parsed.issues.join('; '));
  return parsed.config.database;
}

describePostgres('the PostgreSQL store: schema', (serverUrl) => {
  const newDatabase = throwawayDatabases(serverUrl);

  it('a fresh database gets every migration, recorded in schema_migrations, and the same tables and columns, in order, as SQLite', async () => {
    const url = await newDatabase();
    const store = await openStore(postgresDatabase(url));
    await store.close();
    const versions = await adminQuery<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.map((row) => row.version)).toEqual(MIGRATIONS.map((_, index) => index + 1));

    const sqlite = openDatabase(path.join(tempDir('pg-schema-'), 'stocks.db'), { busyTimeoutMs: 1000 });
    const tables = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((row) => row.name);
    for (const table of tables) {
      const sqliteColumns = (sqlite.prepare(`PRAGMA table_info(${table})`).all() as { name: string; notnull: number; pk: number }[]).map(
        (column) => `${column.name}${column.notnull ? ' NOT NULL' : ''}`,
      );
      const pgColumns = await adminQuery<{ column_name: string; is_nullable: string }>(
        url,
        "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        [table],
      );
      // A primary key is NOT NULL in PostgreSQL whatever the declaration (SQLite lets a TEXT key be NULL): compare the declared NOT NULLs only.
      const declared = new Set(sqliteColumns.filter((column) => column.endsWith(' NOT NULL')).map((column) => column.replace(' NOT NULL', '')));
      expect(
        pgColumns.map((column) => column.column_name),
        table,
      ).toEqual(sqliteColumns.map((column) => column.replace(' NOT NULL', '')));
      for (const column of pgColumns) if (declared.has(column.column_name)) expect(column.is_nullable, `${table}.${column.column_name}`).toBe('NO');
    }
    sqlite.close();
  });

  it('hosts migrating one database at the same instant take turns: every migration runs once', async () => {
    const url = await newDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(postgresDatabase(url))));
    await Promise.all(stores.map((store) => store.close()));
    const counts = await adminQuery<{ version: number; n: number }>(url, 'SELECT version, COUNT(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version');
    expect(counts).toEqual(MIGRATIONS.map((_, index) => ({ version: index + 1, n: 1 })));
  });

  it('a database whose schema is newer than this build is refused, naming both versions, and left as it is', async () => {
    const url = await newDatabase();
    await (await openStore(postgresDatabase(url))).close();
    await adminQuery(url, "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'later')");
    await expect(openStore(postgresDatabase(url))).rejects.toThrow(`the database schema is version 99, newer than this batch-refresh knows (${MIGRATIONS.length}); upgrade batch-refresh`);
  });

  it('a read-only open of a database no run has written finds no tables, reads empty and creates nothing', async () => {
    const url = await newDatabase();
    const store = await openStore(postgresDatabase(url), { readonly: true });
    expect(store.initialized).toBe(false);
    expect(await store.loadStates()).toEqual(new Map());
    expect(await store.recentRuns(5)).toEqual([]);
    await store.close();
    expect(await adminQuery(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).toEqual([]);
  });

  it('text goes in as it came, quotes, backslashes, semicolons and all (the writes are sent as escaped literals)', async () => {
    const url = await newDatabase();
    const store = await openStore(postgresDatabase(url));
    const name = 'O\'Brien \\ "Holdings"; DROP TABLE stocks; -- ünïcødé $1 $$';
    const content = "Item 7. \\n is not a newline; 'quoted' \\' E'x' \u2014 and a tab\there";
    await store.save(
      {
        symbol: 'QT',
        cik: 42,
        name,
        exchange: 'NYSE',
        fundamentalsRefreshed: false,
        sections: { accession: '0000000042-26-000001', sections: [{ section: '7', title: 'MD&A', content }] },
        closes: [{ date: '2026-11-20', close: 0.1 + 0.2 }],
      },
      '2026-11-21T07:00:00.000Z',
    );
    await store.close();
    expect(await adminQuery(url, 'SELECT symbol, name FROM stocks')).toEqual([{ symbol: 'QT', name }]);
    expect(await adminQuery(url, 'SELECT content FROM filing_sections')).toEqual([{ content }]);
    // The double's every bit: 0.30000000000000004, not 0.3.
    expect(await adminQuery(url, 'SELECT close FROM price_history')).toEqual([{ close: 0.1 + 0.2 }]);
  });
});
