import { accessSync, closeSync, constants, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { currentUser } from '../util/user.js';
import { configSchema, userAgentSchema, type Config } from './schema.js';
import { findUnknownKeys } from './unknown-keys.js';

/** A config with every path made absolute and secrets from the environment applied. */
export interface ResolvedConfig extends Config {
  /** Absolute path of the file the config came from. */
  configPath: string;
}

export type LoadConfigResult = { ok: true; config: ResolvedConfig; warnings: string[] } | { ok: false; issues: string[] };

/** Environment variables the config reads. */
export interface ConfigEnv {
  SEC_USER_AGENT?: string | undefined;
  /** A postgres:// or postgresql:// URL selects PostgreSQL when the config names no database.url; any other scheme is not ours and is ignored. */
  DATABASE_URL?: string | undefined;
}

/** How strictly a config is read. */
export interface LoadConfigOptions {
  /** Unknown keys are errors (`--strict`) instead of warnings. @default false */
  strict?: boolean;
}

/**
 * Reads, parses and validates a config file. Never throws for bad input: every problem comes
 * back as `path.to.key: reason`, so the shell can print them all and exit 2.
 */
export function loadConfig(configPath: string, env: ConfigEnv = {}, options: LoadConfigOptions = {}): LoadConfigResult {
  const absolute = path.resolve(configPath);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not a file' : String((error as { message?: unknown }).message);
    return { ok: false, issues: [`${absolute}: ${reason}`] };
  }
  // Windows editors save UTF-8 with a byte order mark, which JSON.parse refuses.
  text = text.replace(/^\uFEFF/, '');
  if (text.trim() === '') return { ok: false, issues: [`${absolute}: the file is empty`] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the text it choked on, control characters and line breaks included: one line.
    const reason = (error as Error).message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return { ok: false, issues: [`${absolute}: not valid JSON (${reason})`] };
  }
  const parsed = parseConfig(raw, absolute, env, options);
  if (!parsed.ok) return parsed;
  // Only here, not in parseConfig: that one stays pure (tests give it made-up paths).
  const problems = checkConfigPaths(parsed.config);
  return problems.length > 0 ? { ok: false, issues: problems } : parsed;
}

/** Validates an already-parsed config object; `configPath` anchors its relative paths. */
export function parseConfig(raw: unknown, configPath: string, env: ConfigEnv = {}, options: LoadConfigOptions = {}): LoadConfigResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, issues: [`${configPath}: the config must be a JSON object, got ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}`] };
  }
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  const envAgent = env.SEC_USER_AGENT?.trim();
  const envIssues = envAgent ? (userAgentSchema.safeParse(envAgent).error?.issues ?? []).map((issue) => `SEC_USER_AGENT: ${issue.message}`) : [];
  const unknownKeys = findUnknownKeys(configSchema, raw);
  // A config that fails anyway lists its unknown keys too: `flie` next to "universe.file: required" is the answer.
  if (!parsed.success) {
    return { ok: false, issues: [...parsed.error.issues.map(formatIssue), ...unknownKeys, ...envIssues] };
  }
  const databaseIssues = checkDatabaseChoice(raw, env);
  if (envIssues.length > 0 || databaseIssues.length > 0 || (options.strict === true && unknownKeys.length > 0)) {
    return { ok: false, issues: [...(options.strict === true ? unknownKeys : []), ...envIssues, ...databaseIssues] };
  }
  const config = parsed.data;
  const databaseUrl = config.database.url ?? postgresUrlOf(env.DATABASE_URL);
  const base = path.dirname(configPath);
  const resolve = (p: string): string => path.resolve(base, p);
  // An empty SEC_USER_AGENT counts as unset.
  const userAgent = envAgent !== undefined && envAgent !== '' ? envAgent : config.sources.edgar.user_agent;
  const resolved: ResolvedConfig = {
    ...config,
    configPath,
    universe: { ...config.universe, file: config.universe.file === undefined ? undefined : resolve(config.universe.file) },
    sources: { ...config.sources, edgar: { ...config.sources.edgar, user_agent: userAgent } },
    logging: { ...config.logging, log_directory: resolve(config.logging.log_directory) },
    database: {
      ...config.database,
      path: resolve(config.database.path),
      backup_directory: resolve(config.database.backup_directory),
      url: databaseUrl,
      password_file: config.database.password_file === undefined ? undefined : resolve(config.database.password_file),
      ssl_ca_file: config.database.ssl_ca_file === undefined ? undefined : resolve(config.database.ssl_ca_file),
    },
    reporting: { ...config.reporting, summary_directory: resolve(config.reporting.summary_directory) },
    metrics: { textfile_path: config.metrics.textfile_path === null ? null : resolve(config.metrics.textfile_path) },
    notifications: {
      ...config.notifications,
      email: { ...config.notifications.email, password_file: config.notifications.email.password_file === undefined ? undefined : resolve(config.notifications.email.password_file) },
      webhooks: config.notifications.webhooks.map((webhook) => (webhook.url_file === undefined ? webhook : { ...webhook, url_file: resolve(webhook.url_file) })),
    },
  };
  return { ok: true, config: resolved, warnings: [...unknownKeys, ...collectWarnings(resolved)] };
}

/** DATABASE_URL when it is a PostgreSQL URL (another program's MySQL URL is not ours). */
function postgresUrlOf(value: string | undefined): string | undefined {
  const url = value?.trim();
  return url !== undefined && /^postgres(ql)?:\/\//.test(url) ? url : undefined;
}

/** SQLite or PostgreSQL, never both: a database.path next to a URL (from the config or DATABASE_URL) is a mistake to name, not to guess. */
function checkDatabaseChoice(raw: object, env: ConfigEnv): string[] {
  const database = (raw as { database?: unknown }).database;
  if (typeof database !== 'object' || database === null) return [];
  const { path: file, url } = database as { path?: unknown; url?: unknown };
  if (file === undefined) return [];
  if (url !== undefined) return ['database.path and database.url: both are set; keep path for SQLite or url for PostgreSQL, not both'];
  if (postgresUrlOf(env.DATABASE_URL) !== undefined) return ['database.path and DATABASE_URL: both are set; unset DATABASE_URL to keep SQLite, or remove database.path to use PostgreSQL'];
  return [];
}

/** `path.to.key: reason (got value)`; the value only when it is short, and never from notifications or a URL (tokens, passwords). */
function formatIssue(issue: { path: PropertyKey[]; message: string; input?: unknown }): string {
  const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  const { input } = issue;
  const shown =
    issue.path[0] !== 'notifications' &&
    issue.path[1] !== 'url' &&
    ((typeof input === 'number' && Number.isFinite(input)) || typeof input === 'boolean' || input === null || (typeof input === 'string' && input.length <= 60))
      ? ` (got ${JSON.stringify(input)})`
      : '';
  return `${key}: ${issue.message}${shown}`;
}

/**
 * Settings this version accepts but does not act on yet are named, not silently ignored: the
 * tool this replaces documented keys it never read, and its users only found out too late.
 */
function collectWarnings(config: ResolvedConfig): string[] {
  const warnings: string[] = [];
  const { email } = config.notifications;
  if (config.notifications.enabled && email.enabled && email.username !== undefined && email.password_env === undefined && email.password_file === undefined) {
    warnings.push('notifications.email.password_env: a username is set but no environment variable (password_env) or file (password_file) for the password');
  }
  const agent = config.sources.edgar.user_agent;
  if (config.sources.edgar.enabled && agent !== undefined && !/\S+@\S+/.test(agent)) {
    warnings.push(`sources.edgar.user_agent: SEC asks for "Name email"; "${agent}" has no e-mail address and may be refused`);
  }
  return warnings;
}

/**
 * What a run would trip over on the file system, found before anything runs: a universe file that
 * is missing, and files or folders that cannot be created because something on the way is a file.
 * Every problem is `path.to.key: reason` with the absolute path. Reads only; creates nothing.
 */
export function checkConfigPaths(config: ResolvedConfig): string[] {
  const issues: string[] = [];
  const { universe, database, logging, reporting, metrics } = config;
  if (universe.source === 'file' && universe.file !== undefined) {
    const problem = checkReadableFile(universe.file);
    if (problem !== null) issues.push(`universe.file: ${problem}`);
  }
  const databaseProblem = database.url !== undefined ? null : (checkCreatableFile(database.path) ?? checkSqliteHeader(database.path));
  if (databaseProblem !== null) issues.push(`database.path: ${databaseProblem}`);
  for (const [key, file] of [
    ['database.password_file', database.password_file],
    ['database.ssl_ca_file', database.ssl_ca_file],
  ] as const) {
    const problem = file === undefined ? null : checkReadableFile(file);
    if (problem !== null) issues.push(`${key}: ${problem}`);
  }
  const metricsProblem = metrics.textfile_path === null ? null : checkCreatableFile(metrics.textfile_path);
  if (metricsProblem !== null) issues.push(`metrics.textfile_path: ${metricsProblem}`);
  const folders: [string, string][] = [
    ['database.backup_directory', database.backup_directory],
    ['logging.log_directory', logging.log_directory],
    ['reporting.summary_directory', reporting.summary_directory],
  ];
  for (const [key, folder] of folders) {
    const problem = checkCreatableFolder(folder);
    if (problem !== null) issues.push(`${key}: ${problem}`);
  }
  return issues;
}

/** stat, with "does not exist" as null; other failures (EACCES, ELOOP) are returned as errors. */
function statPath(target: string): Stats | null | NodeJS.ErrnoException {
  try {
    return statSync(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file; the walk up finds it and says so.
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : (error as NodeJS.ErrnoException);
  }
}

function notAFile(file: string, stats: Stats): string {
  return stats.isDirectory() ? `${file} is a folder, not a file` : `${file} is not a regular file (a device, pipe or socket)`;
}

function describeError(target: string, error: NodeJS.ErrnoException): string {
  return `${target} cannot be checked (${error.code ?? error.message})`;
}

function checkReadableFile(file: string): string | null {
  const stats = statPath(file);
  if (stats === null) return `${file} does not exist`;
  if (stats instanceof Error) return describeError(file, stats);
  if (!stats.isFile()) return notAFile(file, stats);
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    return `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  return null;
}

/** A file the run writes (or replaces by renaming, or keeps a -wal beside): it and its folder writable. */
function checkCreatableFile(file: string): string | null {
  const stats = statPath(file);
  if (stats instanceof Error) return describeError(file, stats);
  if (stats !== null) {
    if (!stats.isFile()) return notAFile(file, stats);
    return checkWritable(file) ?? checkWritable(path.dirname(file));
  }
  const blocker = findBlocker(path.dirname(file));
  return blocker === null ? null : `${file} cannot be created: ${blocker}`;
}

/** Found before the run, not after it: an unwritable folder names the path and the user. */
function checkWritable(target: string): string | null {
  try {
    accessSync(target, constants.W_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return `${target} is on a read-only file system`;
    return `permission denied: ${target} is not writable by user ${currentUser()}; give that user write access (chown/chmod), or run as the owner`;
  }
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** An existing database file must be SQLite (or empty, which SQLite takes as new): not, say, the universe file. */
function checkSqliteHeader(file: string): string | null {
  const header = Buffer.alloc(SQLITE_HEADER.length);
  let length: number;
  try {
    const fd = openSync(file, 'r');
    try {
      length = readSync(fd, header, 0, header.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Missing (created on the first run) or unreadable: opening the database will say why.
    return null;
  }
  return length === 0 || header.equals(SQLITE_HEADER) ? null : `${file} exists and is not an SQLite database`;
}

function checkCreatableFolder(folder: string): string | null {
  const stats = statPath(folder);
  if (stats instanceof Error) return describeError(folder, stats);
  if (stats !== null) return stats.isDirectory() ? checkWritable(folder) : `${folder} is a file, not a folder`;
  const blocker = findBlocker(path.dirname(folder));
  return blocker === null ? null : `${folder} cannot be created: ${blocker}`;
}

/**
 * Walks up to the first ancestor that exists: `mkdir -p` can create the rest only if that one is
 * a folder. Returns why not, or null.
 */
function findBlocker(folder: string): string | null {
  let current = folder;
  for (;;) {
    const stats = statPath(current);
    if (stats instanceof Error) return describeError(current, stats);
    if (stats !== null) return stats.isDirectory() ? checkWritable(current) : `${current} is a file, not a folder`;
    const parent = path.dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}

/** The SEC User-Agent a run needs; explains where to set it when missing. */
export function requireUserAgent(config: ResolvedConfig): string | { issue: string } {
  const agent = config.sources.edgar.user_agent;
  // The universe file comes from SEC too, so a "sec" universe needs the User-Agent even without EDGAR data.
  if (!config.sources.edgar.enabled && config.universe.source !== 'sec') return '';
  if (agent === undefined || agent.trim() === '') {
    return {
      issue: 'sources.edgar.user_agent: required by SEC ("Name email"); set it in the config or in the SEC_USER_AGENT environment variable',
    };
  }
  return agent;
}

/**
 * Whether the config file says `"enabled": false`, read before anything else is validated or
 * required: a disabled job exits 0 at once, whatever else its file lacks (the original tool's
 * file has no SEC User-Agent). Anything unreadable is left to `loadConfig` to report.
 */
export function isDisabledByConfig(configPath: string): boolean {
  try {
    const raw: unknown = JSON.parse(readFileSync(path.resolve(configPath), 'utf8').replace(/^\uFEFF/, ''));
    return typeof raw === 'object' && raw !== null && (raw as { enabled?: unknown }).enabled === false;
  } catch {
    return false;
  }
}
