import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema, type Config } from './schema.js';

/** A config with every path made absolute and secrets from the environment applied. */
export interface ResolvedConfig extends Config {
  /** Absolute path of the file the config came from. */
  configPath: string;
}

export type LoadConfigResult =
  | { ok: true; config: ResolvedConfig; warnings: string[] }
  | { ok: false; issues: string[] };

/** Environment variables the config reads. */
export interface ConfigEnv {
  SEC_USER_AGENT?: string | undefined;
}

/**
 * Reads, parses and validates a config file. Never throws for bad input: every problem comes
 * back as `path.to.key: reason`, so the shell can print them all and exit 2.
 */
export function loadConfig(configPath: string, env: ConfigEnv = {}): LoadConfigResult {
  const absolute = path.resolve(configPath);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not a file' : String((error as Error).message);
    return { ok: false, issues: [`${absolute}: ${reason}`] };
  }
  if (text.trim() === '') return { ok: false, issues: [`${absolute}: the file is empty`] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, issues: [`${absolute}: not valid JSON (${(error as Error).message})`] };
  }
  return parseConfig(raw, absolute, env);
}

/** Validates an already-parsed config object; `configPath` anchors its relative paths. */
export function parseConfig(raw: unknown, configPath: string, env: ConfigEnv = {}): LoadConfigResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, issues: [`${configPath}: the config must be a JSON object, got ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}`] };
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`),
    };
  }
  const config = parsed.data;
  const base = path.dirname(configPath);
  const resolve = (p: string): string => path.resolve(base, p);
  const userAgent = env.SEC_USER_AGENT?.trim() || config.sources.edgar.user_agent;
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
    },
    reporting: { ...config.reporting, summary_directory: resolve(config.reporting.summary_directory) },
    metrics: { textfile_path: config.metrics.textfile_path === null ? null : resolve(config.metrics.textfile_path) },
  };
  return { ok: true, config: resolved, warnings: collectWarnings(resolved) };
}

/**
 * Settings this version accepts but does not act on yet are named, not silently ignored: the
 * tool this replaces documented keys it never read, and its users only found out too late.
 */
function collectWarnings(config: ResolvedConfig): string[] {
  const warnings: string[] = [];
  const { email } = config.notifications;
  if (config.notifications.enabled && email.enabled && email.username !== undefined && email.password_env === undefined) {
    warnings.push('notifications.email.password_env: a username is set but no environment variable for the password');
  }
  const agent = config.sources.edgar.user_agent;
  if (config.sources.edgar.enabled && agent !== undefined && !/\S+@\S+/.test(agent)) {
    warnings.push(`sources.edgar.user_agent: SEC asks for "Name email"; "${agent}" has no e-mail address and may be refused`);
  }
  return warnings;
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
