import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, requireUserAgent } from '../../src/config/load-config.js';
import { configSchema } from '../../src/config/schema.js';
import { renderConfigJsonSchema } from '../../src/config/write-json-schema.js';
import { FIXTURES, ROOT, tempDir } from '../helpers/cli.js';

const ORIGINAL = path.join(FIXTURES, 'batch_config.example.json');

function issuesOf(raw: unknown): string[] {
  const result = parseConfig(raw, '/etc/batch-refresh/batch_config.json');
  return result.ok ? [] : result.issues;
}

describe('loadConfig', () => {
  it("accepts the original Python tool's batch_config.json unchanged and reads its values", () => {
    const result = loadConfig(ORIGINAL);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { config } = result;
    expect(config.logging.console_output).toBe(false);
    expect(config.processing).toMatchObject({ batch_size: 100, delay_between_batches_seconds: 5, max_workers: 1, force_refresh: true });
    expect(config.error_handling).toMatchObject({ max_consecutive_failures: 50, retry_failed_stocks: true, max_retries_per_stock: 2, continue_on_error: true });
    expect(config.notifications.email).toMatchObject({ enabled: false, smtp_server: 'smtp.gmail.com', smtp_port: 587, on_error_only: true });
    // Relative paths resolve against the config file's folder, not the working directory.
    expect(config.database.path).toBe(path.join(FIXTURES, 'stocks.db'));
    expect(config.reporting.summary_directory).toBe(path.join(FIXTURES, 'reports'));
    expect(config.logging.log_directory).toBe(path.join(FIXTURES, 'logs'));
  });

  it('ships config/batch_config.json with the documented defaults', () => {
    const result = loadConfig(path.join(ROOT, 'config', 'batch_config.json'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const defaults = configSchema.parse({});
    const { configPath: _p, ...shipped } = result.config;
    // The shipped file states the defaults; only its paths point one folder up, to the project root.
    expect({ ...shipped, $schema: undefined, description: undefined }).toEqual({
      ...defaults,
      $schema: undefined,
      description: undefined,
      logging: { ...defaults.logging, log_directory: path.join(ROOT, 'logs') },
      database: { ...defaults.database, path: path.join(ROOT, 'stocks.db'), backup_directory: path.join(ROOT, 'backups') },
      reporting: { ...defaults.reporting, summary_directory: path.join(ROOT, 'reports') },
      universe: { ...defaults.universe, file: undefined },
      sources: { ...defaults.sources, edgar: { ...defaults.sources.edgar, user_agent: undefined } },
    });
  });

  it('reads sources.yahoo.base_url as a list of hosts, a single string being a list of one, and defaults the Yahoo User-Agent to what was always sent', () => {
    const read = (yahoo: Record<string, unknown>) => {
      const result = parseConfig({ sources: { yahoo } }, '/etc/batch-refresh/batch_config.json');
      if (!result.ok) throw new Error(result.issues.join('; '));
      return result.config.sources.yahoo;
    };
    expect(read({})).toMatchObject({ base_url: ['https://query1.finance.yahoo.com'], user_agent: 'Mozilla/5.0 (compatible; batch-refresh)' });
    expect(read({ base_url: 'http://127.0.0.1:9000' }).base_url).toEqual(['http://127.0.0.1:9000']);
    const hosts = ['https://query1.finance.yahoo.com', 'https://query2.finance.yahoo.com'];
    expect(read({ base_url: hosts, user_agent: 'Acme/1.0' })).toMatchObject({ base_url: hosts, user_agent: 'Acme/1.0' });
  });

  it('keeps config/batch_config.schema.json in step with the zod schema', () => {
    const committed = readFileSync(path.join(ROOT, 'config', 'batch_config.schema.json'), 'utf8');
    expect(committed).toBe(renderConfigJsonSchema());
    const schema = JSON.parse(committed) as { properties: Record<string, { properties?: Record<string, { default?: unknown; description?: string }> }> };
    expect(schema.properties.processing?.properties?.batch_size).toMatchObject({ default: 100 });
    expect(schema.properties.rate_limiting?.properties?.edgar_requests_per_second?.description).toMatch(/ceiling/i);
  });

  it('takes the SEC User-Agent from SEC_USER_AGENT before the file', () => {
    const result = parseConfig({ sources: { edgar: { user_agent: 'From File file@example.com' } } }, '/x/c.json', { SEC_USER_AGENT: 'From Env env@example.com' });
    expect(result.ok && result.config.sources.edgar.user_agent).toBe('From Env env@example.com');
  });

  it('requires a User-Agent for SEC and says where to set it', () => {
    const result = parseConfig({}, '/x/c.json');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(requireUserAgent(result.config)).toEqual({ issue: expect.stringMatching(/sources\.edgar\.user_agent.*SEC_USER_AGENT/) as unknown });
    const noSec = parseConfig({ sources: { edgar: { enabled: false } }, universe: { source: 'file', file: 'symbols.txt' } }, '/x/c.json');
    expect(noSec.ok && requireUserAgent(noSec.config)).toBe('');
  });

  it.each([
    [{ processing: { batch_size: 0 } }, 'processing.batch_size'],
    [{ processing: { batch_size: 'ten' } }, 'processing.batch_size'],
    [{ processing: { max_workers: -2 } }, 'processing.max_workers'],
    [{ processing: { batch_size: 2.5 } }, 'processing.batch_size'],
    [{ rate_limiting: { edgar_requests_per_second: 50 } }, 'rate_limiting.edgar_requests_per_second'],
    [{ rate_limiting: { yfinance_delay_seconds: -1 } }, 'rate_limiting.yfinance_delay_seconds'],
    [{ universe: { source: 'nasdaq' } }, 'universe.source'],
    [{ universe: { source: 'file' } }, 'universe.file'],
    [{ universe: { exclude_patterns: ['(unclosed'] } }, 'universe.exclude_patterns.0'],
    [{ universe: { exchanges: [] } }, 'universe.exchanges'],
    [{ logging: { log_level: 'LOUD' } }, 'logging.log_level'],
    [{ logging: { log_file: '../../etc/passwd' } }, 'logging.log_file'],
    [{ sources: { edgar: { data_url: 'not a url' } } }, 'sources.edgar.data_url'],
    [{ sources: { edgar: { enabled: false }, yahoo: { enabled: false } } }, 'sources'],
    [{ scheduling: { run_time: '25:00' } }, 'scheduling.run_time'],
    [{ scheduling: { timezone: 'Mars/Olympus' } }, 'scheduling.timezone'],
    [{ error_handling: { min_success_rate: 1.5 } }, 'error_handling.min_success_rate'],
    [{ error_handling: { max_consecutive_failures: 0 } }, 'error_handling.max_consecutive_failures'],
    [{ database: { keep_last_n_backups: 0 } }, 'database.keep_last_n_backups'],
    [{ reporting: { generate_summary: 'yes' } }, 'reporting.generate_summary'],
    [{ notifications: { webhooks: [{ url: 'nope' }] } }, 'notifications.webhooks.0.url'],
    [{ enabled: 'true' }, 'enabled'],
    [{ processing: [] }, 'processing'],
  ])('rejects %j naming %s', (raw, key) => {
    const issues = issuesOf(raw);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.some((issue) => issue.startsWith(`${key}: `))).toBe(true);
  });

  it.each([
    ['', /empty/],
    ['{"processing": ', /not valid JSON/],
    ['[1, 2]', /must be a JSON object, got an array/],
    ['null', /must be a JSON object, got null/],
    ['"text"', /must be a JSON object, got string/],
    // Found by the property test: JSON.parse's message quotes the text, line breaks included.
    ['\n\u0000', /not valid JSON \(.*\\u0000/],
  ])('rejects file content %j with a clear message on one line', (content, message) => {
    const file = path.join(tempDir(), 'c.json');
    writeFileSync(file, content);
    const result = loadConfig(file);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.join('\n')).toMatch(message);
      for (const issue of result.issues) expect(issue).not.toMatch(/[\n\r\u0000]/);
    }
  });

  it('names a missing config file', () => {
    const result = loadConfig('/nonexistent/batch_config.json');
    expect(result).toEqual({ ok: false, issues: ['/nonexistent/batch_config.json: file not found'] });
  });

  it('warns about an SMTP username without a password variable', () => {
    const result = parseConfig({ notifications: { enabled: true, email: { enabled: true, username: 'jane' } } }, '/x/c.json');
    expect(result.ok && result.warnings.join('\n')).toMatch(/notifications\.email\.password_env/);
    const quiet = parseConfig({}, '/x/c.json');
    expect(quiet.ok && quiet.warnings).toEqual([]);
  });
});
