import pg from 'pg';

/*
 * `npm run bench -- --database postgres://…`: the nights run against a throwaway database made on
 * that server (its user needs CREATEDB) and dropped after.
 */

/** A fresh database on the server `url` names, and its URL. */
export async function createBenchDatabase(url: string): Promise<{ name: string; url: string }> {
  const name = `br_bench_${process.pid}_${Date.now()}`;
  await adminQuery(url, `CREATE DATABASE ${name}`);
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return { name, url: parsed.toString() };
}

export async function dropBenchDatabase(url: string, name: string): Promise<void> {
  await adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

async function adminQuery(url: string, text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/** Rows of the five data tables written at or after `since`, as rowsWrittenSince counts them in SQLite. */
export async function pgRowsWrittenSince(url: string, since: string): Promise<number> {
  const tables = ['stocks', 'stock_metrics', 'earnings_history', 'sec_filings', 'price_history'];
  const counts = await adminQuery(url, tables.map((table) => `SELECT COUNT(*)::int AS n FROM ${table} WHERE updated_at >= $1`).join(' UNION ALL '), [since]);
  return counts.reduce((sum, row) => sum + (row.n as number), 0);
}
