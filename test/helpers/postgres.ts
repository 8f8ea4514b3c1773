import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, it } from 'vitest';
import { UNDER_CI } from '../schedule/system-tools.js';

/*
 * The Postgres tests' server. BATCH_REFRESH_TEST_DATABASE_URL is a superuser URL (CI's comes from
 * .ci/postgres-cluster); each test file makes its own throwaway database on it and drops it.
 * Without the variable the tests skip locally, saying how to get a server, and fail under CI.
 */

/** The variable that names the test server. */
export const TEST_DATABASE_URL_ENV = 'BATCH_REFRESH_TEST_DATABASE_URL';

const HOW_TO = `set ${TEST_DATABASE_URL_ENV}=postgres://postgres:<password>@127.0.0.1:<port>/postgres (a superuser), or run the suite as CI does: bash .ci/postgres-cluster npx vitest run`;

/** The test server's superuser URL, or null when none is configured. */
export function postgresTestUrl(): string | null {
  const url = process.env[TEST_DATABASE_URL_ENV];
  return url === undefined || url === '' ? null : url;
}

/**
 * `describe` with the server's URL. Without one: skipped locally with the way to get a server in
 * its title; under CI one failing test instead, since CI starts a server and must run these.
 */
export function describeWithPostgres(title: string, body: (adminUrl: string) => void): void {
  const url = postgresTestUrl();
  if (url !== null) {
    describe(title, () => body(url));
  } else if (UNDER_CI) {
    describe(title, () => {
      it(`has a PostgreSQL server under CI (${TEST_DATABASE_URL_ENV})`, () => {
        throw new Error(`${TEST_DATABASE_URL_ENV} is not set: CI must run the Postgres tests (.ci/run starts a server with .ci/postgres-cluster)`);
      });
    });
  } else {
    describe.skip(`${title} (skipped: no PostgreSQL server; ${HOW_TO})`, () => body(''));
  }
}

/** A fresh database on the test server: its URL, and `drop` to remove it (connections ended first). */
export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database with a unique name on the server at `adminUrl`. */
export async function createTestDatabase(adminUrl: string, prefix = 'batch_refresh_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Runs statements on the database at `url` on one short-lived connection. */
export async function queryDatabase(url: string, sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  await queryDatabase(adminUrl, sql);
}
