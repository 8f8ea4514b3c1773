import { z } from 'zod';

/*
 * The config file's schema: type, default and description side by side. zod strips keys it does
 * not know; unknown-keys.ts names them (a warning, an error under --strict) except the free-text
 * keys below, so the Python tool's batch_config.json loads unchanged. Every key listed here is
 * read somewhere; config/README in the project README says where.
 */

/** Free-text notes the original tool's file carries at any level ("comment" in a section, "description" at the top): accepted silently, never read. */
export const FREE_TEXT_KEYS: readonly string[] = ['comment', 'description'];

const positiveSeconds = z.number().nonnegative();

/** A file or folder path. A NUL byte makes every fs call throw, so it is refused here, naming the key. */
const pathString = z
  .string()
  .min(1, 'an empty path')
  .refine((value) => !value.includes('\0'), 'contains a NUL character');

/** Only http and https: the value is fetched, and `file:` or `javascript:` must not get that far. */
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

/**
 * A host the program appends paths to: a query, a fragment or credentials would break every
 * request. zod runs this refinement even when the URL check failed, hence `canParse`.
 */
const baseUrl = httpUrl.refine((value) => {
  if (!URL.canParse(value)) return true;
  const url = new URL(value);
  return url.username === '' && url.password === '' && url.search === '' && url.hash === '';
}, 'a base URL only (scheme, host, optional port and path): no user:password, ?query or #fragment');

function codePointName(char: string): string {
  return `U+${(char.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The User-Agent becomes an HTTP header: a CR or LF would inject headers (fetch refuses it on every
 * request), and fetch cannot send characters beyond Latin-1 at all.
 */
export const userAgentSchema = z
  .string()
  .min(1)
  .max(512, 'at most 512 characters')
  .superRefine((value, ctx) => {
    const control = /[\x00-\x1f\x7f-\x9f]/.exec(value);
    if (control) {
      ctx.addIssue({ code: 'custom', message: `contains a line break or control character (${codePointName(control[0])}); it is sent as an HTTP header` });
    }
    const wide = Array.from(value).find((char) => (char.codePointAt(0) as number) > 0xff);
    if (wide !== undefined) {
      ctx.addIssue({ code: 'custom', message: `contains ${JSON.stringify(wide)} (${codePointName(wide)}), which cannot be sent in an HTTP header (Latin-1 only)` });
    }
  });

const regexString = z.string().refine(
  (pattern) => {
    try {
      new RegExp(pattern);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'not a valid regular expression' },
);

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24-hour)');

const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'unknown IANA time zone' },
);

const schedulingSchema = z.object({
  run_time: timeOfDay.default('02:00').describe('Time of the nightly run (HH:MM), used by the schedule installer and status'),
  timezone: timezone.default('America/New_York').describe('IANA time zone of run_time'),
});

const universeSchema = z.object({
  source: z.enum(['sec', 'file']).default('sec').describe('"sec": SEC company_tickers_exchange.json; "file": the list in universe.file'),
  exchanges: z.array(z.string().min(1)).min(1).default(['NYSE', 'Nasdaq']).describe('Exchanges whose listings make the universe (compared case-insensitively)'),
  exclude_patterns: z
    .array(regexString.refine((pattern) => pattern !== '', 'an empty pattern matches every symbol'))
    .default([])
    .describe('Regular expressions; a symbol matching any of them is left out (e.g. "-P" for preferreds)'),
  file: pathString.optional().describe('With source "file": one symbol a line, or a CSV with a "symbol" column'),
});

const edgarSchema = z.object({
  www_url: baseUrl.default('https://www.sec.gov').describe('SEC web host (ticker files, archives)'),
  data_url: baseUrl.default('https://data.sec.gov').describe('SEC data API host (companyfacts, submissions)'),
  user_agent: userAgentSchema.optional().describe('"Name email" sent to SEC with every request (required by SEC; env SEC_USER_AGENT overrides)'),
  timeout_seconds: z.number().min(0.1, 'at least 0.1 (seconds)').max(600).default(30).describe('Per-request timeout, body included'),
  max_body_mb: z.number().min(0.01, 'at least 0.01 (MiB)').max(1024).default(32).describe('Largest response body accepted, in MiB'),
  enabled: z.boolean().default(true).describe('false: no fundamentals or filings are fetched'),
});

/** What batch-refresh has always sent to Yahoo: honest about what it is. */
export const DEFAULT_YAHOO_USER_AGENT = 'Mozilla/5.0 (compatible; batch-refresh)';

const yahooSchema = z.object({
  // One host, or several: the next is asked when one refuses (yahoo.ts). Always a list once read.
  base_url: z
    .union([baseUrl, z.array(baseUrl).min(1, 'at least one host').max(10, 'at most 10 hosts')])
    .default('https://query1.finance.yahoo.com')
    .transform((value) => (typeof value === 'string' ? [value] : value))
    .describe('Yahoo Finance API host, or a list of hosts asked in order: a host that refuses (403, 429, 5xx, connection failures) hands its requests to the next'),
  user_agent: userAgentSchema.default(DEFAULT_YAHOO_USER_AGENT).describe('User-Agent sent to Yahoo with every request'),
  timeout_seconds: z.number().min(0.1, 'at least 0.1 (seconds)').max(600).default(30).describe('Per-request timeout, body included'),
  max_body_mb: z.number().min(0.01, 'at least 0.01 (MiB)').max(1024).default(4).describe('Largest response body accepted, in MiB'),
  enabled: z.boolean().default(true).describe('false: no prices are fetched'),
  symbols_per_request: z.number().int().min(1).max(20).default(20).describe('Symbols per batched price request (Yahoo answers HTTP 400 above 20)'),
});

const processingSchema = z.object({
  batch_size: z.number().int().min(1).max(100_000).default(100).describe('Stocks per batch'),
  delay_between_batches_seconds: positiveSeconds.max(3600).default(5).describe('Pause between batches'),
  max_workers: z.number().int().min(1).max(64).default(1).describe('Stocks processed concurrently (rate ceilings still hold)'),
  force_refresh: z.boolean().default(true).describe('true: fetch everything for every stock; false: fundamentals only when filings changed or data is older than refetch_threshold_days'),
  refetch_threshold_days: z.number().min(0).max(3650).default(30).describe('Age after which fundamentals are fetched again even without new filings'),
  fetch_filing_sections: z.boolean().default(false).describe('Fetch 10-K sections (Items 1, 1A, 7, 7A)'),
  max_runtime_minutes: z
    .number()
    .positive()
    .max(7 * 24 * 60, 'at most 10080 (a week)')
    .optional()
    .describe('Time budget: no new stock is started after it'),
  bulk_threshold: z.number().min(0).max(1, 'a fraction from 0 to 1').default(0.25).describe('Share of the universe changed above which a night rebuilds from bulk archives'),
  bulk_min_companies: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(1000)
    .describe('Fewest companies to refresh for an automatic bulk rebuild (below it, per-company requests cost less than the 3 GB of archives); --bulk ignores it'),
});

const rateLimitingSchema = z.object({
  // Below 0.1 a full refresh takes weeks, and p-throttle's interval would overflow Node's 32-bit timers.
  edgar_requests_per_second: z
    .number()
    .min(0.1, 'at least 0.1')
    .max(10, 'at most 10 (SEC allows 10 requests per second)')
    .default(9)
    .describe('Ceiling on SEC requests per second across all workers (SEC allows 10)'),
  yfinance_delay_seconds: positiveSeconds.max(60).default(0.5).describe('Minimum spacing of Yahoo requests across all workers'),
  // SEC lifts its rate block once the rate has stayed under 10/s for 10 minutes.
  edgar_block_cooldown_seconds: positiveSeconds
    .max(86_400)
    .default(600)
    .describe("How long every SEC request waits after SEC's rate block (HTTP 403 with its block page, or any 403 once SEC answered this run); a second block halves the rate, a third aborts"),
  circuit_cooldown_seconds: positiveSeconds
    .max(86_400)
    .default(600)
    .describe("How long a source's open circuit (a Yahoo block, 429s in a row, connections failing in a row, a soft block) stops its requests before one probe tries again"),
});

const logLevel = z
  .string()
  .transform((level) => level.toUpperCase())
  .pipe(z.enum(['DEBUG', 'INFO', 'WARNING', 'WARN', 'ERROR', 'CRITICAL']))
  .transform((level) => (level === 'WARN' ? 'WARNING' : level === 'CRITICAL' ? 'ERROR' : level));

const loggingSchema = z.object({
  log_directory: pathString.default('logs').describe('Folder of the log file'),
  log_file: pathString
    .refine((name) => !/[\\/]/.test(name) && name !== '.' && name !== '..', 'a file name, not a path')
    .default('batch_refresh.log')
    .describe('Log file name'),
  max_log_size_mb: z.number().positive().max(10_240).default(50).describe('Size at which the log rotates'),
  backup_count: z.number().int().min(1).max(1000).default(10).describe('Rotated log files kept'),
  log_level: logLevel.default('INFO').describe('DEBUG, INFO, WARNING or ERROR'),
  console_output: z.boolean().default(true).describe('false: only errors on the console; the log file keeps everything'),
  progress_interval_seconds: z.number().min(1, 'at least 1 (second)').max(3600).default(30).describe('Without a terminal: seconds between progress lines'),
});

const databaseSchema = z.object({
  path: pathString.default('stocks.db').describe('SQLite database file'),
  backup_before_run: z.boolean().default(true).describe('Copy the database before each run (online backup)'),
  backup_directory: pathString.default('backups').describe('Folder for backups'),
  keep_last_n_backups: z.number().int().min(1).max(10_000).default(7).describe('Backups kept; older ones are deleted'),
  busy_timeout_ms: z.number().int().min(0).max(600_000).default(30_000).describe('How long a write waits for another writer'),
  url: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S*$/, 'a postgres:// or postgresql:// URL')
    .optional()
    .describe('PostgreSQL instead of SQLite: postgres://user@host:port/database (or the DATABASE_URL environment variable); not together with path'),
  password_file: pathString.optional().describe("PostgreSQL: a file holding the password (else the URL's, else PGPASSWORD)"),
  ssl: z
    .enum(['disable', 'require', 'verify-full'])
    .optional()
    .describe("PostgreSQL TLS: disable, require (encrypted, certificate not checked) or verify-full (certificate and host name checked); unset: the URL's sslmode, else none"),
  ssl_ca_file: pathString.optional().describe('PostgreSQL: the CA certificate (PEM) verify-full checks the server against; unset: the system CAs'),
  statement_timeout_seconds: z.number().min(0).max(86_400).default(300).describe('PostgreSQL: a statement running longer is cancelled (its stock fails); 0: no limit'),
  pool_size: z.number().int().min(1).max(64).default(4).describe('PostgreSQL: connections writing stocks at once'),
});

const errorHandlingSchema = z.object({
  max_consecutive_failures: z.number().int().min(1).max(1_000_000).default(50).describe('Failed stocks in a row that abort the run (exit 3)'),
  retry_failed_stocks: z.boolean().default(true).describe('Give failed stocks a second pass at the end of the run'),
  max_retries_per_stock: z.number().int().min(0).max(20).default(2).describe('Retries of a transient failure, per request'),
  continue_on_error: z.boolean().default(true).describe('false: stop at the first failed stock (exit 3)'),
  retry_base_delay_seconds: positiveSeconds.max(600).default(1).describe('First retry delay; doubles each retry, with jitter'),
  min_success_rate: z.number().min(0).max(1, 'a fraction from 0 to 1 (0.9 = 90 %)').default(0.9).describe('Success rate below which the run exits 1'),
});

const reportingSchema = z.object({
  generate_summary: z.boolean().default(true).describe('Write the JSON summary report'),
  summary_directory: pathString.default('reports').describe('Folder of the reports'),
  keep_last_n_reports: z.number().int().min(1).max(100_000).default(30).describe('Reports kept; older ones are deleted'),
});

const emailSchema = z
  .object({
    enabled: z.boolean().default(false),
    smtp_server: z.string().default(''),
    smtp_port: z.number().int().min(1).max(65_535).default(587),
    from_address: z.string().default(''),
    to_addresses: z.array(z.string()).default([]),
    on_error_only: z.boolean().default(true),
    use_tls: z.boolean().default(true),
    username: z.string().optional(),
    password_env: z.string().optional().describe('Name of the environment variable holding the SMTP password'),
    password_file: z.string().min(1).optional().describe("File holding the SMTP password (surrounding whitespace trimmed), relative to the config file's folder; instead of password_env"),
  })
  .superRefine((email, ctx) => {
    if (email.password_file !== undefined && email.password_env !== undefined && email.password_env !== '') {
      ctx.addIssue({ code: 'custom', path: ['password_file'], message: 'password_env is set too: the password comes from one of password_env and password_file' });
    }
  });

/* A webhook URL carries its token, so it may come from the environment or a file instead of the config. */
const WEBHOOK_URL_KEYS = ['url', 'url_env', 'url_file'] as const;

const webhookSchema = z
  .object({
    url: httpUrl.optional().describe('The webhook URL (it carries a token: url_env or url_file keep it out of the config)'),
    url_env: z.string().min(1).optional().describe('Name of the environment variable holding the webhook URL; instead of url'),
    url_file: z.string().min(1).optional().describe("File holding the webhook URL (surrounding whitespace trimmed), relative to the config file's folder; instead of url"),
    format: z.enum(['slack', 'discord', 'json']).default('json'),
    on_error_only: z.boolean().default(true),
  })
  .superRefine((webhook, ctx) => {
    const set = WEBHOOK_URL_KEYS.filter((key) => webhook[key] !== undefined);
    if (set.length === 0) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required: set exactly one of url, url_env and url_file' });
    if (set.length > 1) ctx.addIssue({ code: 'custom', path: [set[1] as string], message: `exactly one of url, url_env and url_file may be set, got ${set.join(', ')}` });
  })
  .meta({ oneOf: WEBHOOK_URL_KEYS.map((key) => ({ required: [key] })) }); // the same rule, for editors

const notificationsSchema = z.object({
  enabled: z.boolean().default(false),
  email: emailSchema.prefault({}),
  webhooks: z.array(webhookSchema).default([]),
});

const continuousSchema = z.object({
  refresh_interval_hours: z
    .number()
    .min(0.1, 'at least 0.1 (6 minutes)')
    .max(24 * 365)
    .default(24)
    .describe('With --continuous: a stock is due again this long after its last refresh'),
  // Each idle cycle fetches SEC's ticker file: a near-zero sleep would poll SEC nonstop.
  idle_sleep_minutes: z
    .number()
    .min(0.01, 'at least 0.01 (minutes)')
    .max(24 * 60)
    .default(15)
    .describe('With --continuous: pause when no stock is due'),
});

const metricsSchema = z.object({
  textfile_path: pathString.nullable().default(null).describe("Prometheus textfile for node_exporter's textfile collector"),
});

/**
 * Ordinary shares per listed share, by symbol: the share basis of a 20-F or 40-F filer's listing
 * (an ADS), which neither SEC nor Yahoo states.
 */
const adrRatiosSchema = z
  .record(z.string().regex(/^[A-Z0-9][A-Z0-9.-]*$/, 'a symbol as listed (upper case)'), z.number().positive('ordinary shares per listed share, above 0').max(1_000_000))
  .default({})
  .describe('Ordinary shares per listed share (ADS) by symbol, e.g. {"TSM": 5}: a 20-F/40-F filer\'s market cap, P/E, PEG and yield are computed only with it (10-K/10-Q filers: 1)');

/** The whole config file. Sections may be omitted; every key has a default except the SEC User-Agent. */
export const configSchema = z
  .object({
    $schema: z.string().optional(),
    enabled: z.boolean().default(true).describe('false: a run exits 0 at once, saying the job is disabled'),
    description: z.string().optional().describe('Free text'),
    scheduling: schedulingSchema.prefault({}),
    universe: universeSchema.prefault({}),
    sources: z
      .object({
        edgar: edgarSchema.prefault({}),
        yahoo: yahooSchema.prefault({}),
      })
      .prefault({}),
    processing: processingSchema.prefault({}),
    rate_limiting: rateLimitingSchema.prefault({}),
    logging: loggingSchema.prefault({}),
    database: databaseSchema.prefault({}),
    error_handling: errorHandlingSchema.prefault({}),
    reporting: reportingSchema.prefault({}),
    notifications: notificationsSchema.prefault({}),
    metrics: metricsSchema.prefault({}),
    continuous: continuousSchema.prefault({}),
    adr_ratios: adrRatiosSchema,
  })
  .superRefine((config, ctx) => {
    if (config.universe.source === 'file' && config.universe.file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['universe', 'file'], message: 'required when universe.source is "file"' });
    }
    if (!config.sources.edgar.enabled && !config.sources.yahoo.enabled) {
      ctx.addIssue({ code: 'custom', path: ['sources'], message: 'at least one of sources.edgar and sources.yahoo must be enabled' });
    }
  });

/** The config as the program uses it: defaults filled in, paths still as written in the file. */
export type Config = z.output<typeof configSchema>;
