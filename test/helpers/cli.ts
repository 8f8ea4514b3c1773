import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * The built CLI as a process, for the contract tests (flags, exit codes, signals, stdout/stderr,
 * file modes, users), and what every run test needs: temp folders and a config for the stand-in.
 * Whole runs whose subject is the night go in-process instead (in-process.ts).
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'batch-refresh');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Run as this user and group (the tests run as root; permissions mean nothing to root). */
  uid?: number;
  gid?: number;
}

/** The proxy variables, unset: a test that wants a proxy sets them itself. */
export const NO_PROXY_ENV: Record<string, undefined> = { HTTP_PROXY: undefined, http_proxy: undefined, HTTPS_PROXY: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined };

/** Runs the built CLI as a process, as cron or systemd would (no TTY, no colour). */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Starts the built CLI as a process; `stderr()` reads what it has written so far. */
export function startCli(args: string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: cliEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, stderr: () => stderr };
}

/**
 * The CLI's environment: the test process's, without colour and without the variables the CLI
 * reads (config, User-Agent, clock, journald, proxies) unless `overrides` sets them.
 */
function cliEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    BATCH_REFRESH_CONFIG: undefined,
    SEC_USER_AGENT: undefined,
    BATCH_REFRESH_NOW: undefined,
    JOURNAL_STREAM: undefined,
    // The machine's proxy settings must not send test traffic for 127.0.0.1 anywhere else.
    ...NO_PROXY_ENV,
    ...overrides,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) Reflect.deleteProperty(env, key);
  return env;
}

export interface TimedResult extends CliResult {
  /** Peak resident set size of the CLI process, in MiB (GNU time's %M). */
  maxRssMb: number;
}

/** Runs the built CLI under GNU time, as runCli does (no TTY, no colour), and reads its peak RSS. */
export function runCliTimed(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<TimedResult> {
  // Its own process group, so a timeout kills the CLI and not only GNU time.
  const child = spawn('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, BIN, ...args], { cwd: ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // GNU time adds "Command exited with non-zero status N" before its own line.
      const match = /(?:Command (?:exited|terminated)[^\n]*\n)?maxrss_kb=(\d+)\s*$/.exec(stderr);
      if (match === null) return reject(new Error(`no maxrss from /usr/bin/time in: ${stderr.slice(-500)}`));
      resolve({ code, signal, stdout, stderr: stderr.slice(0, match.index), maxRssMb: Number(match[1]) / 1024 });
    });
  });
}

/** Polls `condition` every 20 ms until it holds, failing after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function tempDir(prefix = 'batch-refresh-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

type Json = Record<string, unknown>;

/** Deep merge of plain objects (arrays and scalars replace). */
export function merge(base: Json, override: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] =
      value !== null && typeof value === 'object' && !Array.isArray(value) && current !== null && typeof current === 'object' && !Array.isArray(current)
        ? merge(current as Json, value as Json)
        : value;
  }
  return out;
}

/**
 * A config for a run against the stand-in at `url`, fast: no pauses, tiny retry delays, short
 * timeouts. Relative paths land in `dir`.
 */
export function writeTestConfig(dir: string, url: string, overrides: Json = {}): string {
  const base: Json = {
    sources: {
      edgar: { www_url: url, data_url: url, user_agent: 'batch-refresh tests tests@example.com', timeout_seconds: 2 },
      yahoo: { base_url: url, timeout_seconds: 2 },
    },
    processing: { batch_size: 10, delay_between_batches_seconds: 0, max_workers: 4 },
    rate_limiting: { edgar_requests_per_second: 10, yfinance_delay_seconds: 0.01 },
    error_handling: { retry_base_delay_seconds: 0.01, max_retries_per_stock: 2 },
    logging: { log_directory: 'logs', log_level: 'DEBUG' },
    database: { path: 'stocks.db', backup_directory: 'backups' },
    reporting: { summary_directory: 'reports' },
  };
  const file = path.join(dir, 'batch_config.json');
  writeFileSync(file, JSON.stringify(merge(base, overrides), null, 2));
  return file;
}
