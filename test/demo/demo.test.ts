import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { ROOT, tempDir } from '../helpers/cli.js';

/** `npm run demo` as a newcomer runs it (into a temp folder instead of demo/): the README's first command. */
describe('npm run demo', () => {
  it('refreshes the bundled sample offline, prints the report, and leaves a database the README queries', () => {
    const dir = tempDir();
    const env: NodeJS.ProcessEnv = { ...process.env, BATCH_REFRESH_CONFIG: '/nonexistent/config.json' };
    delete env.SEC_USER_AGENT;
    const result = spawnSync(process.execPath, [path.join(ROOT, 'dist-dev', 'dev', 'demo', 'run-demo.js'), '--dir', dir], { env, encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as SummaryReport;
    expect(report).toMatchObject({ status: 'completed', total_stocks: 15, successful: 15, failed: 0, exit_code: 0, refresh_path: 'per-company' });
    // The README's jq line reads the newest report file: the one just printed.
    const reports = readdirSync(path.join(dir, 'reports'))
      .filter((name) => name.endsWith('.json'))
      .sort();
    expect(JSON.parse(readFileSync(path.join(dir, 'reports', reports.at(-1) as string), 'utf8'))).toEqual(report);
    const db = new Database(path.join(dir, 'stocks.db'), { readonly: true });
    try {
      const years = db.prepare("SELECT fiscal_year, eps_diluted FROM earnings_history WHERE symbol='AAPL' AND period='FY' ORDER BY fiscal_year DESC LIMIT 7").all();
      // Apple's 10-K for fiscal 2024: diluted EPS $6.08.
      expect(years[0]).toEqual({ fiscal_year: 2024, eps_diluted: 6.08 });
      expect(years).toHaveLength(7);
    } finally {
      db.close();
    }
  }, 60_000);
});
