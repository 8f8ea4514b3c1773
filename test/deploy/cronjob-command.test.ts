import { chownSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { BIN, ROOT, runCli, tempDir, writeTestConfig } from '../helpers/cli.js';
import { describePostgres, throwawayDatabases } from '../helpers/postgres.js';
import { cronJobParts, manifestOf } from './manifests.js';

/*
 * The CronJob's command line, run here as the pod would run it: its command and args, its
 * environment (the Secret's values as secret.example.yaml shows them), the ConfigMap's config,
 * the pod's user when the tests run as root. The image's folders become local ones: /app is this
 * checkout (WORKDIR of the Containerfile, with the built CLI), each volume a temp folder. The
 * sources are the local stand-in. The store is PostgreSQL from DATABASE_URL, the Secret's (a
 * throwaway database on the test server), and SQLite on the data volume as the README says to
 * switch: database.path added to the ConfigMap's config, DATABASE_URL removed.
 */

const COMPANIES = 12;
const POD_USER = 1000;
const asRoot = process.getuid?.() === 0;
let standIn: StandIn;

beforeAll(async () => {
  standIn = await startStandIn({ data: syntheticDataset(syntheticCompanies(COMPANIES)) });
});

afterAll(async () => {
  await standIn.close();
});

/** The pod's mounts as local folders (the pod's user owns them), /app as this checkout. */
function localFolders(): { mapPath: (value: string) => string; mounts: Map<string, string> } {
  const mounts = new Map<string, string>([['/app', ROOT.replace(/\/$/, '')]]);
  for (const mount of cronJobParts().container.volumeMounts) {
    const dir = tempDir('cronjob-volume-');
    if (asRoot) chownSync(dir, POD_USER, POD_USER);
    mounts.set(mount.mountPath, dir);
  }
  const mapPath = (value: string): string => {
    for (const [mountPath, dir] of mounts) if (value === mountPath || value.startsWith(`${mountPath}/`)) return dir + value.slice(mountPath.length);
    return value;
  };
  return { mapPath, mounts };
}

/** The ConfigMap's config file in the config volume, /data mapped, the sources pointed at the stand-in; `sqliteFile`: the database.path added for SQLite. */
function writeConfigMap(mapPath: (value: string) => string, configFile: string, sqliteFile?: string): void {
  const configMap = manifestOf('ConfigMap').doc as { data: Record<string, string> };
  const config = JSON.parse(configMap.data[path.basename(configFile)] ?? '{}') as { database: Record<string, unknown> };
  if (sqliteFile !== undefined) config.database.path = sqliteFile;
  const mapped = JSON.parse(JSON.stringify(config), (_key, value: unknown) => (typeof value === 'string' && value.startsWith('/') ? mapPath(value) : value)) as Record<string, unknown>;
  // writeTestConfig's stand-in settings under the ConfigMap's own keys (the paths); its edgar
  // user_agent is overridden by SEC_USER_AGENT, as in the pod.
  const written = writeTestConfig(path.dirname(configFile), standIn.url, mapped);
  if (sqliteFile === undefined) {
    // writeTestConfig's defaults name a SQLite file; the ConfigMap's config has none.
    const withDefaults = JSON.parse(readFileSync(written, 'utf8')) as { database: Record<string, unknown> };
    delete withDefaults.database.path;
    writeFileSync(written, JSON.stringify(withDefaults, null, 2));
  }
  expect(written).toBe(configFile);
  if (asRoot) chownSync(written, POD_USER, POD_USER);
}

/** The container's environment: the Secret's example values, the literals; DATABASE_URL the given one (unset: SQLite). */
function podEnv(databaseUrl?: string): Record<string, string | undefined> {
  const secret = manifestOf('Secret').doc as { metadata: { name: string }; stringData: Record<string, string> };
  const env: Record<string, string | undefined> = {};
  for (const variable of cronJobParts().container.env) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref !== undefined) expect(ref.name).toBe(secret.metadata.name);
    env[variable.name] = ref === undefined ? variable.value : secret.stringData[ref.key];
  }
  expect(Object.keys(env)).toContain('DATABASE_URL');
  env.DATABASE_URL = databaseUrl;
  return env;
}

describe("the CronJob's command line", () => {
  it('SQLite as the README switches to it: refreshes every stock into the data volume, prints the report on stdout, and backs up on the next night', async () => {
    const { container } = cronJobParts();
    const { mapPath, mounts } = localFolders();
    const command = [...container.command, ...container.args].map(mapPath);
    expect(command[0]).toBe(BIN);
    const configFile = command[command.indexOf('--config') + 1] ?? '';
    writeConfigMap(mapPath, configFile, '/data/stocks.db');
    const env = podEnv();
    const data = mounts.get('/data') ?? '';
    const options = { env, cwd: ROOT, timeoutMs: 90_000, ...(asRoot ? { uid: POD_USER, gid: POD_USER } : {}) };

    const first = await runCli(command.slice(1), options);
    expect(first.code, first.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(first.stdout.trim()) as SummaryReport;
    expect(report).toMatchObject({
      status: 'completed',
      total_stocks: COMPANIES,
      successful: COMPANIES,
      failed: 0,
      exit_code: 0,
      database: path.join(data, 'stocks.db'),
      config: configFile,
      backup: null,
    });
    expect(standIn.requests.filter((request) => request.path.includes('companyfacts')).map((request) => request.userAgent)).toContain(env.SEC_USER_AGENT);
    // Everything the run wrote is on the data volume: the database, its lock, logs and reports.
    expect(
      readdirSync(data)
        .filter((name) => !/^stocks\.db(-wal|-shm|\.lock|\.lock\.json)?$/.test(name))
        .sort(),
    ).toEqual(['logs', 'reports']);
    expect(existsSync(path.join(data, 'stocks.db'))).toBe(true);
    expect(readdirSync(path.join(data, 'reports'))).toHaveLength(1);
    if (asRoot) expect(statSync(path.join(data, 'stocks.db')).uid).toBe(POD_USER);

    const second = await runCli(command.slice(1), options);
    expect(second.code, second.stderr.slice(-2000)).toBe(0);
    const next = JSON.parse(second.stdout.trim()) as SummaryReport;
    expect(next.backup?.path).toMatch(new RegExp(`^${path.join(data, 'backups')}/stocks_backup_\\d{8}_\\d{6}\\.db$`));
    expect(readFileSync(path.join(data, 'logs', 'batch_refresh.log'), 'utf8')).toContain(`config ${configFile}`);
  }, 180_000);
});

describePostgres("the CronJob's command line on PostgreSQL", (serverUrl) => {
  const newDatabase = throwawayDatabases(serverUrl);

  it('as shipped (the ConfigMap, DATABASE_URL from the Secret): every stock into PostgreSQL, logs, reports and the dump on the data volume', async () => {
    const { container } = cronJobParts();
    const { mapPath, mounts } = localFolders();
    const command = [...container.command, ...container.args].map(mapPath);
    const configFile = command[command.indexOf('--config') + 1] ?? '';
    writeConfigMap(mapPath, configFile);
    const url = await newDatabase();
    const env = podEnv(url);
    const data = mounts.get('/data') ?? '';
    const options = { env, cwd: ROOT, timeoutMs: 90_000, ...(asRoot ? { uid: POD_USER, gid: POD_USER } : {}) };

    const first = await runCli(command.slice(1), options);
    expect(first.code, first.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(first.stdout.trim()) as SummaryReport;
    expect(report).toMatchObject({ status: 'completed', total_stocks: COMPANIES, successful: COMPANIES, failed: 0, exit_code: 0, config: configFile });
    const password = new URL(url).password;
    expect(report.database).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/br_/);
    expect(first.stdout + first.stderr).not.toContain(password);
    expect(readdirSync(data).sort()).toEqual(['backups', 'logs', 'reports']);

    const second = await runCli(command.slice(1), options);
    expect(second.code, second.stderr.slice(-2000)).toBe(0);
    const next = JSON.parse(second.stdout.trim()) as SummaryReport;
    expect(next.backup?.path ?? '').toMatch(new RegExp(`^${path.join(data, 'backups')}/stocks_backup_\\d{8}_\\d{6}(?:_\\d+)?\\.dump$`));
  }, 180_000);
});
