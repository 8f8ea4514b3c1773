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
  const write = (level: LogLevel, message: string): void => {
    if (stream !== null && RANK[level] >= RANK[options.fileLevel]) {
      stream.write(`${formatLocalIso(options.now())} ${level.padEnd(7)} ${message}\n`);
    }
    if (RANK[level] >= RANK[options.consoleLevel]) options.console(level, message);
  };
  return {
    debug: (message) => write('DEBUG', message),
    info: (message) => write('INFO', message),
    warn: (message) => write('WARNING', message),
    error: (message) => write('ERROR', message),
    close: () =>
      new Promise<void>((resolve) => {
        if (stream === null) return resolve();
        const closing = stream;
        stream = null;
        closing.end(() => resolve());
      }),
  };
}
