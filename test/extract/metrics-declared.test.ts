import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.js';
import { computeLynchMetrics, METRIC_COLUMNS, METRICS } from '../../src/extract/lynch-metrics.js';
import { ROOT, tempDir } from '../helpers/cli.js';

/** Each metric is declared once (METRICS); the computation, the table and the README follow the declaration. */
describe('the metrics, declared once', () => {
  it('computeLynchMetrics answers exactly the declared metrics', () => {
    const answer = computeLynchMetrics({ price: 50, sharesOutstanding: 1e6, earnings: [] });
    expect(Object.keys(answer).sort()).toEqual([...METRIC_COLUMNS].sort());
  });

  it('stock_metrics has a column for every declared metric', () => {
    const db = openDatabase(path.join(tempDir(), 'stocks.db'), { busyTimeoutMs: 1000 });
    try {
      const columns = (db.prepare('PRAGMA table_info(stock_metrics)').all() as { name: string }[]).map((column) => column.name);
      expect(columns).toEqual(expect.arrayContaining([...METRIC_COLUMNS]));
    } finally {
      db.close();
    }
  });

  it("README's Lynch metrics section states each declared formula", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Lynch metrics'), readme.indexOf('### Filing sections'));
    const flat = section.replace(/\s+/g, ' ');
    for (const metric of METRICS) expect(flat, metric.name).toContain(metric.formula);
  });
});
