import { mkdirSync } from 'node:fs';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { formatLocalIso } from '../util/time.js';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /**
   * Writes the run's first line to the file (`run <id>: <header>; <plan>`), then the lines logged
   * before it. Without a call, `close` writes it with the plan unknown. Later calls only log.
   */
  begin(plan: string): void;
  /** Flushes and closes the log file. */
  close(): Promise<void>;
}

/** Where console lines go; the terminal layer decides on colour, and stderr it is. */
export type ConsoleSink = (level: LogLevel, message: string) => void;

export interface LoggerOptions {
  /** null: no log file (dry runs write nothing). */
  file: { directory: string; name: string; maxSizeMb: number; backupCount: number } | null;
  /** Lowest level written to the file. */
  fileLevel: LogLevel;
  /** Lowest level shown on the console. */
  consoleLevel: LogLevel;
  console: ConsoleSink;
  now: () => Date;
  /** Carried by every file line of this run (`[a1b2c3d4]`), so one run's lines can be grepped out of a shared file. */
  runId?: string;
  /** The start of the run's first file line: version, PID, config (the plan is added by `begin`). */
  header?: string;
}

/** A logger writing to a size-rotated file (rotating-file-stream) and to the console sink. */
export function createLogger(options: LoggerOptions): Logger {
  let stream: RotatingFileStream | null = null;
  if (options.file !== null) {
    mkdirSync(options.file.directory, { recursive: true, mode: 0o750 });
    stream = createStream(options.file.name, {
      path: options.file.directory,
      size: `${Math.max(1, Math.round(options.file.maxSizeMb * 1024))}K`,
      maxFiles: options.file.backupCount,
      mode: 0o640,
    });
    // A full disk must not crash the run through an unhandled 'error' event: say it once, go on.
    stream.on('error', (error: Error) => {
      options.console('ERROR', `log file: ${error.message}`);
      stream = null;
    });
  }
  const tag = options.runId === undefined ? '' : `[${options.runId}] `;
  const fileLine = (level: LogLevel, message: string, at = options.now()): string => `${formatLocalIso(at)} ${level.padEnd(7)} ${tag}${message}\n`;
  // The first line is dated when the run began, so the file stays in time order.
  const startedAt = options.now();
  // File lines wait for the run's first line until `begin` (only when there is a header to write).
  let held: string[] | null = options.header === undefined ? null : [];
  const begin = (plan: string): void => {
    if (held === null) return;
    const lines = held;
    held = null;
    stream?.write(fileLine('INFO', `run ${options.runId ?? '-'}: ${options.header ?? ''}; ${plan}`, startedAt));
    for (const line of lines) stream?.write(line);
  };
  const write = (level: LogLevel, message: string): void => {
    if (stream !== null && RANK[level] >= RANK[options.fileLevel]) {
      if (held !== null) held.push(fileLine(level, message));
      else stream.write(fileLine(level, message));
    }
    if (RANK[level] >= RANK[options.consoleLevel]) options.console(level, message);
  };
  return {
    debug: (message) => write('DEBUG', message),
    info: (message) => write('INFO', message),
    warn: (message) => write('WARNING', message),
    error: (message) => write('ERROR', message),
    begin,
    close: () =>
      new Promise<void>((resolve) => {
        begin('plan: none (the run ended before its plan was made)');
        if (stream === null) return resolve();
        const closing = stream;
        stream = null;
        closing.end(() => resolve());
      }),
  };
}
