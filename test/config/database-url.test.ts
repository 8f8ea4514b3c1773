import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { usesPostgres } from '../../src/db/open-store.js';
import { databaseSecrets, pgClientConfig, redactDatabaseUrl } from '../../src/db/pg/pg-connect.js';

/* database.url / DATABASE_URL: which store a config selects, and how its password is kept out of sight. */

const CONFIG = '/etc/batch-refresh/batch_config.json';

function database(raw: Record<string, unknown>, env: Record<string, string | undefined> = {}) {
  const parsed = parseConfig({ database: raw }, CONFIG, env);
  if (!parsed.ok) throw new Error(parsed.issues.join('; '));
  return parsed.config.database;
}

function issues(raw: Record<string, unknown>, env: Record<string, string | undefined> = {}): string[] {
  const parsed = parseConfig({ database: raw }, CONFIG, env);
  return parsed.ok ? [] : parsed.issues;
}

describe('database.url selects PostgreSQL, database.path keeps SQLite', () => {
  it.for([
    { raw: {}, env: {}, postgres: false },
    { raw: { path: 'data/stocks.db' }, env: {}, postgres: false },
    { raw: { url: 'postgres://u@db:5432/stocks' }, env: {}, postgres: true },
    { raw: { url: 'postgresql://u@db/stocks' }, env: {}, postgres: true },
    { raw: {}, env: { DATABASE_URL: 'postgres://u@db/stocks' }, postgres: true },
    // Another program's database, not ours: ignored.
    { raw: {}, env: { DATABASE_URL: 'mysql://u@db/app' }, postgres: false },
    { raw: { path: 'stocks.db' }, env: { DATABASE_URL: 'mysql://u@db/app' }, postgres: false },
  ])('$raw with $env: PostgreSQL $postgres', ({ raw, env, postgres }) => {
    expect(usesPostgres(database(raw, env))).toBe(postgres);
  });

  it('the config URL wins over DATABASE_URL', () => {
    expect(database({ url: 'postgres://u@config/stocks' }, { DATABASE_URL: 'postgres://u@env/stocks' }).url).toBe('postgres://u@config/stocks');
  });

  it('both set is a config error naming both, for the config key and for DATABASE_URL', () => {
    expect(issues({ path: 'stocks.db', url: 'postgres://u@db/stocks' })).toEqual(['database.path and database.url: both are set; keep path for SQLite or url for PostgreSQL, not both']);
    expect(issues({ path: 'stocks.db' }, { DATABASE_URL: 'postgres://u@db/stocks' })).toEqual([
      'database.path and DATABASE_URL: both are set; unset DATABASE_URL to keep SQLite, or remove database.path to use PostgreSQL',
    ]);
  });

  it('a URL of another scheme is refused without echoing it (it may carry a password)', () => {
    const found = issues({ url: 'mysql://u:s3cret@db/app' });
    expect(found).toEqual(['database.url: a postgres:// or postgresql:// URL']);
  });

  it('password_file and ssl_ca_file are read relative to the config; ssl takes three words', () => {
    const resolved = database({ url: 'postgres://u@db/stocks', password_file: 'pgpass', ssl: 'verify-full', ssl_ca_file: 'ca.pem' });
    expect(resolved).toMatchObject({ password_file: '/etc/batch-refresh/pgpass', ssl_ca_file: '/etc/batch-refresh/ca.pem', ssl: 'verify-full', statement_timeout_seconds: 300, pool_size: 4 });
    expect(issues({ url: 'postgres://u@db/stocks', ssl: 'prefer' })[0]).toMatch(/^database\.ssl: /);
  });
});

describe('the connection settings and what is never shown', () => {
  it('the URL as shown: no password, no query', () => {
    expect(redactDatabaseUrl('postgres://refresh:p%40ss@db.example.com:5432/stocks?sslmode=require&password=x')).toBe('postgres://refresh@db.example.com:5432/stocks');
  });

  it('the password: database.password_file, else the URL, else PGPASSWORD', () => {
    const env = { PGPASSWORD: 'from-env' };
    const passwordOf = (config: ReturnType<typeof database>): string => decodeURIComponent(new URL(pgClientConfig(config, env).connectionString as string).password);
    expect(passwordOf(database({ url: 'postgres://u@db/stocks' }))).toBe('from-env');
    expect(passwordOf(database({ url: 'postgres://u:from%2Furl@db/stocks' }))).toBe('from/url');
    expect(databaseSecrets(database({ url: 'postgres://u:from%2Furl@db/stocks' }), env)).toEqual(expect.arrayContaining(['from%2Furl', 'from/url', 'from-env']));
  });

  it('database.ssl decides over the URL sslmode; the timeouts become the session settings', () => {
    const settings = pgClientConfig(database({ url: 'postgres://u@db/stocks?sslmode=disable', ssl: 'require', statement_timeout_seconds: 2.5, busy_timeout_ms: 700 }), {});
    expect(settings.connectionString).toBe('postgres://u@db/stocks');
    expect(settings).toMatchObject({ ssl: { rejectUnauthorized: false }, statement_timeout: 2500, lock_timeout: 700 });
    expect(pgClientConfig(database({ url: 'postgres://u@db/stocks', statement_timeout_seconds: 0 }), {}).statement_timeout).toBeUndefined();
  });
});
