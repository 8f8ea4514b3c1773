import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { InstallPaths } from './schedule-target.js';

/** How an external command ended. `code` is null when it could not be started or was killed. */
export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not start, e.g. "ENOENT" when the program is not installed. */
  spawnError?: string;
}

/** Runs a program with arguments, never through a shell; `input` goes to its stdin. */
export type ExecFn = (file: string, args: readonly string[], options?: { input?: string }) => Promise<ExecResult>;

/** The file operations the installer needs; paths are absolute. */
export interface ScheduleFs {
  /** Like `mkdir -p`; `mode` applies to the folders it creates. */
  mkdir(path: string, mode: number): Promise<void>;
  writeFile(path: string, text: string, mode: number): Promise<void>;
  /** The file's text, or null when it does not exist or cannot be read. */
  readFile(path: string): Promise<string | null>;
  /** Deletes a file; false when there was none. */
  removeFile(path: string): Promise<boolean>;
}

/** Side effects of `schedule install|remove|show`, injected so tests run without a real systemctl or crontab. */
export interface ScheduleDeps {
  exec: ExecFn;
  fs: ScheduleFs;
  /** The user's home folder; units go to `<home>/.config/systemd/user`. */
  homedir: string;
  /** Login name, for the `loginctl enable-linger` hint. */
  userName: string;
  /** The machine's time zone (what cron without CRON_TZ support uses). */
  systemTimeZone: string;
  /** This install: node, bin/batch-refresh, the project folder. */
  install: InstallPaths;
  /** What the command produces (shown state), for stdout. */
  out: (text: string) => void;
  /** Progress, hints and warnings, for stderr. */
  log: (text: string) => void;
}

const EXEC_TIMEOUT_MS = 30_000;

/** `ExecFn` over child_process.execFile with the given environment (PATH decides which systemctl runs). */
export function createExec(env: NodeJS.ProcessEnv): ExecFn {
  return (file, args, options = {}) =>
    new Promise((resolve) => {
      const child = execFile(file, [...args], { env, timeout: EXEC_TIMEOUT_MS, maxBuffer: 8 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error === null) return resolve({ code: 0, stdout, stderr });
        const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
        if (typeof code === 'string') return resolve({ code: null, stdout, stderr, spawnError: code });
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr: stderr || error.message });
      });
      // A program that exits without reading its stdin must not turn into an EPIPE crash here.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.input ?? '');
    });
}

/** `ScheduleFs` on node:fs. */
export const nodeScheduleFs: ScheduleFs = {
  async mkdir(path, mode) {
    await mkdir(path, { recursive: true, mode });
  },
  async writeFile(path, text, mode) {
    await writeFile(path, text, { mode });
    // An existing file keeps its old mode through writeFile; a re-install should not.
    await chmod(path, mode);
  },
  async readFile(path) {
    try {
      return await readFile(path, 'utf8');
    } catch {
      return null;
    }
  },
  async removeFile(path) {
    try {
      await rm(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  },
};

/** One line for a message: how a command failed. */
export function describeFailure(command: string, result: ExecResult): string {
  if (result.spawnError === 'ENOENT') return `${command}: not installed (not found on PATH)`;
  if (result.spawnError !== undefined) return `${command}: could not be started (${result.spawnError})`;
  const detail = result.stderr.trim().split('\n')[0] ?? '';
  return `${command} failed${result.code === null ? '' : ` (exit ${result.code})`}${detail === '' ? '' : `: ${detail}`}`;
}
