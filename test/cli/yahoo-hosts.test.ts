import { afterEach, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { runCli, writeTestConfig } from '../helpers/cli.js';
import { query } from '../helpers/run-output.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/*
 * A night with two Yahoo hosts (sources.yahoo.base_url as a list) and its own Yahoo User-Agent,
 * through the built CLI: two stand-ins on 127.0.0.1, the first refusing Yahoo's paths with 403.
 */

const tempDir = tempDirs();
const standIns: StandIn[] = [];
afterEach(async () => {
  await Promise.all(standIns.splice(0).map((standIn) => standIn.close()));
});

it('takes the prices from the second Yahoo host when the first refuses (403), with the configured User-Agent, and reports which host served', async () => {
  const data = syntheticDataset(syntheticCompanies(4));
  const [first, second] = [await startStandIn({ data }), await startStandIn({ data })];
  standIns.push(first, second);
  first.addFault(/^\/v8\//, { kind: 'status', status: 403 }, 1000);
  const dir = tempDir('batch-refresh-yahoo-hosts-');
  const userAgent = 'Acme screener/2.1 (ops@example.com)';
  const config = writeTestConfig(dir, first.url, { sources: { yahoo: { base_url: [first.url, second.url], user_agent: userAgent } }, processing: { max_workers: 1 } });
  const result = await runCli(['--config', config, '--json'], { env: { BATCH_REFRESH_NOW: '2026-11-25T07:00:00Z' } });
  expect(result.code, result.stderr).toBe(0);
  const report = JSON.parse(result.stdout) as SummaryReport;
  expect(report).toMatchObject({ successful: 4, failed: 0, yahoo_hosts: { [first.url]: 0, [second.url]: 1 } });
  const yahooAt = (standIn: StandIn) => standIn.requests.filter((request) => request.source === 'yahoo');
  // One spark batch: refused once by the first host, answered by the second.
  expect(yahooAt(first).map((request) => request.status)).toEqual([403]);
  expect(yahooAt(second).map((request) => request.status)).toEqual([200]);
  expect(report.requests.yahoo).toBe(2);
  expect([...yahooAt(first), ...yahooAt(second)].map((request) => request.userAgent)).toEqual([userAgent, userAgent]);
  expect(result.stderr).toContain(`yahoo: ${first.url} refused (HTTP 403 Forbidden from ${new URL(first.url).host}); asking ${second.url} from now on`);
  const prices = query<{ price: number | null }>(dir, 'SELECT price FROM stock_metrics');
  expect(prices).toHaveLength(4);
  expect(prices.every((row) => typeof row.price === 'number')).toBe(true);
});
