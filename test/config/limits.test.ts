import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfigPaths, loadConfig, parseConfig } from '../../src/config/load-config.js';
import { tempDir } from '../helpers/cli.js';

/*
 * The limits added against absurd values and hostile strings: each rule rejects what it should,
 * names the key, and leaves the edge values real configs and the tests use alone.
 */

function issuesOf(raw: unknown): string[] {
  const result = parseConfig(raw, '/etc/batch-refresh/batch_config.json');
  return result.ok ? [] : result.issues;
}

describe('parseConfig rejects absurd numbers and hostile strings, naming the key', () => {
  it.each([
    [{ sources: { edgar: { timeout_seconds: 0 } } }, 'sources.edgar.timeout_seconds', /at least 0\.1/],
    [{ sources: { yahoo: { timeout_seconds: 0.001 } } }, 'sources.yahoo.timeout_seconds', /at least 0\.1/],
    [{ sources: { edgar: { timeout_seconds: 1e9 } } }, 'sources.edgar.timeout_seconds', /<=600/],
    [{ sources: { edgar: { max_body_mb: 1e-9 } } }, 'sources.edgar.max_body_mb', /at least 0\.01/],
    [{ sources: { yahoo: { max_body_mb: 1e6 } } }, 'sources.yahoo.max_body_mb', /<=1024/],
    [{ processing: { batch_size: 1e9 } }, 'processing.batch_size', /<=100000/],
    [{ processing: { max_workers: 1e6 } }, 'processing.max_workers', /<=64/],
    [{ processing: { refetch_threshold_days: 1e9 } }, 'processing.refetch_threshold_days', /<=3650/],
    [{ processing: { max_runtime_minutes: 0 } }, 'processing.max_runtime_minutes', />0/],
    [{ processing: { max_runtime_minutes: 1e12 } }, 'processing.max_runtime_minutes', /at most 10080/],
    [{ processing: { bulk_threshold: 25 } }, 'processing.bulk_threshold', /fraction/],
    [{ rate_limiting: { edgar_requests_per_second: 1e-9 } }, 'rate_limiting.edgar_requests_per_second', /at least 0\.1/],
    [{ rate_limiting: { edgar_block_cooldown_seconds: -1 } }, 'rate_limiting.edgar_block_cooldown_seconds', />=0/],
    [{ rate_limiting: { circuit_cooldown_seconds: 1e9 } }, 'rate_limiting.circuit_cooldown_seconds', /<=86400/],
    [{ logging: { progress_interval_seconds: 1e-6 } }, 'logging.progress_interval_seconds', /at least 1/],
    [{ logging: { log_file: '..' } }, 'logging.log_file', /not a path/],
    [{ logging: { backup_count: 1e9 } }, 'logging.backup_count', /<=1000/],
    [{ logging: { max_log_size_mb: 1e9 } }, 'logging.max_log_size_mb', /<=10240/],
    [{ database: { keep_last_n_backups: 1e9 } }, 'database.keep_last_n_backups', /<=10000/],
    [{ reporting: { keep_last_n_reports: -1 } }, 'reporting.keep_last_n_reports', />=1/],
    [{ error_handling: { max_consecutive_failures: 1e12 } }, 'error_handling.max_consecutive_failures', /<=1000000/],
    [{ error_handling: { min_success_rate: 90 } }, 'error_handling.min_success_rate', /fraction from 0 to 1 \(0\.9 = 90 %\)/],
    [{ continuous: { refresh_interval_hours: 1e-9 } }, 'continuous.refresh_interval_hours', /at least 0\.1/],
    [{ continuous: { idle_sleep_minutes: 1e-9 } }, 'continuous.idle_sleep_minutes', /at least 0\.01/],
    [{ processing: { batch_size: '100' } }, 'processing.batch_size', /expected number, received string/],
    [{ database: { path: '' } }, 'database.path', /empty path/],
    [{ database: { backup_directory: 'a\u0000b' } }, 'database.backup_directory', /NUL/],
    [{ logging: { log_directory: '' } }, 'logging.log_directory', /empty path/],
    [{ reporting: { summary_directory: '' } }, 'reporting.summary_directory', /empty path/],
    [{ metrics: { textfile_path: '' } }, 'metrics.textfile_path', /empty path/],
    [{ universe: { source: 'file', file: '' } }, 'universe.file', /empty path/],
    [{ universe: { exclude_patterns: [''] } }, 'universe.exclude_patterns.0', /matches every symbol/],
    [{ sources: { edgar: { user_agent: 'Jane Doe jane@example.com\r\nX-Injected: 1' } } }, 'sources.edgar.user_agent', /control character \(U\+000D\).*HTTP header/],
    [{ sources: { edgar: { user_agent: 'Jane\tDoe jane@example.com' } } }, 'sources.edgar.user_agent', /control character \(U\+0009\)/],
    [{ sources: { edgar: { user_agent: 'Jane\u0000 jane@example.com' } } }, 'sources.edgar.user_agent', /control character \(U\+0000\)/],
    [{ sources: { edgar: { user_agent: '山田 yamada@example.jp' } } }, 'sources.edgar.user_agent', /"山" \(U\+5C71\).*Latin-1/],
    [{ sources: { edgar: { user_agent: 'x'.repeat(600) } } }, 'sources.edgar.user_agent', /at most 512/],
    [{ sources: { edgar: { www_url: 'file:///etc/passwd' } } }, 'sources.edgar.www_url', /http:\/\/ or https:\/\//],
    [{ sources: { edgar: { data_url: 'javascript:alert(1)' } } }, 'sources.edgar.data_url', /http:\/\/ or https:\/\//],
    [{ sources: { yahoo: { base_url: 'ftp://example.com' } } }, 'sources.yahoo.base_url', /http:\/\/ or https:\/\//],
    [{ sources: { yahoo: { base_url: 'http://' } } }, 'sources.yahoo.base_url', /http:\/\/ or https:\/\//],
    [{ sources: { yahoo: { base_url: ['https://query1.finance.yahoo.com', 'ftp://example.com'] } } }, 'sources.yahoo.base_url.1', /http:\/\/ or https:\/\//],
    [{ sources: { yahoo: { base_url: [] } } }, 'sources.yahoo.base_url', /at least one host/],
    [{ sources: { yahoo: { base_url: 42 } } }, 'sources.yahoo.base_url', /.+/],
    [{ sources: { yahoo: { user_agent: 'Mozilla/5.0\r\nX-Injected: 1' } } }, 'sources.yahoo.user_agent', /control character \(U\+000D\)/],
    [{ sources: { yahoo: { user_agent: '' } } }, 'sources.yahoo.user_agent', /.+/],
    [{ sources: { edgar: { www_url: 'https://user:secret@www.sec.gov' } } }, 'sources.edgar.www_url', /no user:password/],
    [{ sources: { edgar: { data_url: 'https://data.sec.gov/?x=1' } } }, 'sources.edgar.data_url', /\?query/],
  ])('rejects %j naming %s', (raw, key, reason) => {
    const issues = issuesOf(raw);
    const line = issues.find((issue) => issue.startsWith(`${key}: `));
    expect(line, issues.join('\n')).toBeDefined();
    expect(line).toMatch(reason);
  });

  it.each([
    [{ sources: { edgar: { timeout_seconds: 0.4, max_body_mb: 0.5 }, yahoo: { base_url: 'http://127.0.0.1:8080/' } } }],
    [{ sources: { yahoo: { base_url: ['https://query1.finance.yahoo.com', 'https://query2.finance.yahoo.com'], user_agent: 'Acme screener/2.1 (ops@example.com)' } } }],
    [{ sources: { edgar: { user_agent: 'Jürgen Müller jm@example.de', www_url: 'HTTPS://WWW.SEC.GOV/', data_url: 'http://[::1]:9000/sec' } } }],
    [{ processing: { max_runtime_minutes: 0.005, refetch_threshold_days: 0, bulk_threshold: 1 } }],
    [{ logging: { max_log_size_mb: 0.001, progress_interval_seconds: 1, log_file: '.hidden.log' } }],
    [{ continuous: { idle_sleep_minutes: 0.01, refresh_interval_hours: 0.1 } }],
    [{ rate_limiting: { edgar_requests_per_second: 0.1, yfinance_delay_seconds: 0 } }],
    [{ rate_limiting: { edgar_block_cooldown_seconds: 0.2, circuit_cooldown_seconds: 0 } }],
    [{ error_handling: { max_consecutive_failures: 1_000_000, min_success_rate: 0 } }],
  ])('still accepts the edge values real configs and tests use: %j', (raw) => {
    expect(issuesOf(raw)).toEqual([]);
  });

  it('shows the offending value after the reason, but never a value from notifications', () => {
    expect(issuesOf({ processing: { batch_size: 1e9 } })).toEqual(['processing.batch_size: Too big: expected number to be <=100000 (got 1000000000)']);
    expect(issuesOf({ universe: { source: 'nasdaq' } })).toEqual(['universe.source: Invalid option: expected one of "sec"|"file" (got "nasdaq")']);
    // The value is JSON-quoted: a newline or escape sequence cannot break the message or the terminal.
    expect(issuesOf({ logging: { log_level: 'x\n\u001b[2J' } })).toEqual([
      'logging.log_level: Invalid option: expected one of "DEBUG"|"INFO"|"WARNING"|"WARN"|"ERROR"|"CRITICAL" (got "X\\n\\u001b[2J")',
    ]);
    const notifications = issuesOf({ notifications: { email: { smtp_port: 'hunter2' } } });
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).not.toContain('hunter2');
  });

  it('refuses an SEC_USER_AGENT with a line break, naming the variable', () => {
    const result = parseConfig({}, '/x/c.json', { SEC_USER_AGENT: 'Jane jane@example.com\nX-Injected: 1' });
    expect(result).toEqual({ ok: false, issues: [expect.stringMatching(/^SEC_USER_AGENT: contains a line break or control character \(U\+000A\)/)] });
  });
});

describe('loadConfig checks the paths a run needs before anything runs', () => {
  /** A config folder with a regular file `afile` and a symbol list `symbols.txt`. */
  function setup(config: Record<string, unknown>): { dir: string; file: string } {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'afile'), 'not a folder');
    writeFileSync(path.join(dir, 'symbols.txt'), 'AAPL\n');
    const file = path.join(dir, 'batch_config.json');
    writeFileSync(file, JSON.stringify(config));
    return { dir, file };
  }

  it.each([
    [{ universe: { source: 'file', file: 'missing.txt' } }, 'universe.file: {dir}/missing.txt does not exist'],
    [{ universe: { source: 'file', file: '.' } }, 'universe.file: {dir} is a folder, not a file'],
    [{ universe: { source: 'file', file: '/dev/null' } }, 'universe.file: /dev/null is not a regular file (a device, pipe or socket)'],
    [{ database: { path: 'afile/stocks.db' } }, 'database.path: {dir}/afile/stocks.db cannot be created: {dir}/afile is a file, not a folder'],
    [{ database: { path: 'afile/deeper/still/stocks.db' } }, 'database.path: {dir}/afile/deeper/still/stocks.db cannot be created: {dir}/afile is a file, not a folder'],
    [{ database: { path: '.' } }, 'database.path: {dir} is a folder, not a file'],
    [{ database: { path: 'symbols.txt' } }, 'database.path: {dir}/symbols.txt exists and is not an SQLite database'],
    [{ database: { backup_directory: 'afile' } }, 'database.backup_directory: {dir}/afile is a file, not a folder'],
    [{ logging: { log_directory: 'afile/logs' } }, 'logging.log_directory: {dir}/afile/logs cannot be created: {dir}/afile is a file, not a folder'],
    [{ reporting: { summary_directory: 'afile/x/reports' } }, 'reporting.summary_directory: {dir}/afile/x/reports cannot be created: {dir}/afile is a file, not a folder'],
    [{ metrics: { textfile_path: 'afile/batch.prom' } }, 'metrics.textfile_path: {dir}/afile/batch.prom cannot be created: {dir}/afile is a file, not a folder'],
    [{ metrics: { textfile_path: '.' } }, 'metrics.textfile_path: {dir} is a folder, not a file'],
  ])('%j: exit-2 issue naming the key', (config, expected) => {
    const { dir, file } = setup(config);
    const result = loadConfig(file);
    expect(result).toEqual({ ok: false, issues: [expected.replaceAll('{dir}', dir)] });
  });

  it('lists every path problem at once', () => {
    const { file } = setup({ database: { path: 'afile/x.db', backup_directory: 'afile' }, logging: { log_directory: 'afile' }, reporting: { summary_directory: 'afile' } });
    const result = loadConfig(file);
    expect(result.ok ? [] : result.issues.map((issue) => issue.split(':')[0])).toEqual(['database.path', 'database.backup_directory', 'logging.log_directory', 'reporting.summary_directory']);
  });

  it('accepts folders that do not exist yet, an empty database file and a universe file reached through a symlink', () => {
    const { dir, file } = setup({
      universe: { source: 'file', file: 'link.txt' },
      database: { path: 'new/deep/stocks.db', backup_directory: 'b/c' },
      logging: { log_directory: 'l' },
      reporting: { summary_directory: 'r' },
      metrics: { textfile_path: 'm/batch.prom' },
    });
    symlinkSync(path.join(dir, 'symbols.txt'), path.join(dir, 'link.txt'));
    expect(loadConfig(file)).toMatchObject({ ok: true });
    mkdirSync(path.join(dir, 'new', 'deep'), { recursive: true });
    writeFileSync(path.join(dir, 'new', 'deep', 'stocks.db'), '');
    expect(loadConfig(file)).toMatchObject({ ok: true });
  });

  it('does not check universe.file when the universe comes from SEC', () => {
    const { file } = setup({ universe: { source: 'sec', file: 'missing.txt' } });
    expect(loadConfig(file)).toMatchObject({ ok: true });
  });

  it('leaves parseConfig pure: made-up paths pass there and fail only in checkConfigPaths', () => {
    const parsed = parseConfig({ universe: { source: 'file', file: 'nowhere/symbols.txt' } }, '/nonexistent-root/c.json');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(checkConfigPaths(parsed.config)).toEqual(['universe.file: /nonexistent-root/nowhere/symbols.txt does not exist']);
  });

  it('reads a config saved with a UTF-8 byte order mark', () => {
    const { file } = setup({});
    writeFileSync(file, `\uFEFF${JSON.stringify({ processing: { batch_size: 7 } })}`);
    const result = loadConfig(file);
    expect(result.ok && result.config.processing.batch_size).toBe(7);
  });
});
