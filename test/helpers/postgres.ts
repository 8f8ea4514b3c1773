import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';

/*
 * The PostgreSQL server the tests use: BATCH_REFRESH_TEST_DATABASE_URL, a superuser URL
 * (`.ci/run` starts a throwaway cluster and exports it). Each test file makes its own databases
 * (`br_<random>`) and drops them after. Without the variable the PostgreSQL tests are skipped
 * with a message saying how to get a server, except under CI (CI set), where they fail.
 */

export const POSTGRES_URL_ENV = 'BATCH_REFRESH_TEST_DATABASE_URL';

export const HOW_TO_GET_A_SERVER =
  `set ${POSTGRES_URL_ENV} to a PostgreSQL 15 superuser URL, e.g. postgres://postgres:PASSWORD@127.0.0.1:5432/postgres ` +
  '(`.ci/run` starts a throwaway cluster and sets it; locally: apt-get install postgresql, then initdb and pg_ctl start on a free port)';

/** The server's superuser URL, or null when the tests are to be skipped (never under CI: there the missing server fails them). */
export function postgresUrlOrSkip(env: NodeJS.ProcessEnv = process.env): string | null {
  const url = env[POSTGRES_URL_ENV]?.trim();
  return url === undefined || url === '' ? null : url;
}

/**
 * `describe` for tests that need the server: run with its URL when there is one; otherwise one
 * skipped test naming how to get a server, or under CI one failing test saying the server is missing.
 */
export function describePostgres(name: string, body: (url: string) => void): void {
  const url = postgresUrlOrSkip();
  if (url !== null) {
    describe(name, () => body(url));
    return;
  }
  if (process.env.CI !== undefined && process.env.CI !== '') {
    describe(name, () => {
      it(`needs a PostgreSQL server: ${POSTGRES_URL_ENV} is not set under CI`, () => {
        throw new Error(`${POSTGRES_URL_ENV} is not set: CI must run the PostgreSQL tests (${HOW_TO_GET_A_SERVER})`);
      });
    });
    return;
  }
  describe(name, () => {
    it.skip(`skipped: no PostgreSQL server; ${HOW_TO_GET_A_SERVER}`, () => undefined);
  });
}

/** `url` with its database replaced by `database`. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `text` on the server as the superuser, on a connection of its own. */
export async function adminQuery<Row = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** Creates an empty database `br_<random>` and answers its URL (same user and password). */
export async function createTestDatabase(url: string, prefix = 'br'): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(url, `CREATE DATABASE ${name}`);
  return { name, url: databaseUrl(url, name) };
}

/** Drops it, closing whatever connections are still open on it. */
export async function dropTestDatabase(url: string, name: string): Promise<void> {
  await adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/**
 * Throwaway databases for one test file: `const newDatabase = throwawayDatabases(url)`, then
 * `await newDatabase()` in a test; all are dropped after the file's tests.
 */
export function throwawayDatabases(url: string): (prefix?: string) => Promise<string> {
  const created: string[] = [];
  afterAll(async () => {
    for (const name of created) await dropTestDatabase(url, name);
  });
  return async (prefix) => {
    const database = await createTestDatabase(url, prefix);
    created.push(database.name);
    return database.url;
  };
}
