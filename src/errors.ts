/*
 * Every error of the product in one place (changesets' packages/errors): the exit codes a run ends
 * with, the classes a failed stock is counted under, and the error classes thrown, each naming its
 * kind, and the one mapping from an error to its exit code (`exitCodeOfError`), with which `main`
 * (src/cli/main.ts) ends the process.
 * README.md's "Exit codes" table and "Outcomes" list are checked against this file by a test.
 */

/** Exit codes, as README.md ("Exit codes") lists them. */
export const EXIT = {
  /** The run completed at or above `error_handling.min_success_rate`; `--help`, a dry run, `schedule` done. */
  OK: 0,
  /** The run completed below that rate, or its report or `sync_runs` row could not be written; `schedule`: systemctl or crontab failed. */
  FAILED: 1,
  /** A usage or configuration error: nothing was run. */
  USAGE: 2,
  /** The run was aborted (failure limits, no universe, SEC refusing the User-Agent or blocking a third time, proxy 407, a full disk, setup failed). */
  ABORTED: 3,
  /** Another run holds the lock for this database: nothing was done (EX_TEMPFAIL). */
  LOCKED: 75,
  /** Interrupted by SIGINT after finishing the stocks in flight (128 + 2). */
  SIGINT: 130,
  /** Interrupted by SIGTERM after finishing the stocks in flight (128 + 15); the units count it a success. */
  SIGTERM: 143,
  /** A bug: `main` prints the stack (EX_SOFTWARE). */
  INTERNAL: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit codes as README's table and `--help` group them (130 and 143 share a row), with `--help`'s wording. */
export const EXIT_CODE_ROWS: readonly { codes: readonly ExitCode[]; meaning: string }[] = [
  { codes: [EXIT.OK], meaning: 'run completed; success rate at or above error_handling.min_success_rate (default 0.9)' },
  { codes: [EXIT.FAILED], meaning: 'run completed below that success rate, or the summary report could not be written' },
  { codes: [EXIT.USAGE], meaning: 'usage or configuration error (the message names the flag or key); nothing was run' },
  {
    codes: [EXIT.ABORTED],
    meaning:
      "run aborted: max_consecutive_failures reached, continue_on_error false and a stock failed, no universe, SEC refusing the User-Agent (403 on its first answer) or SEC's rate block a third time, or the proxy asking for credentials (407)",
  },
  { codes: [EXIT.LOCKED], meaning: 'another run holds the lock for this database; nothing was done' },
  { codes: [EXIT.SIGINT, EXIT.SIGTERM], meaning: 'interrupted by SIGINT/SIGTERM after finishing the stocks in flight; report written' },
  { codes: [EXIT.INTERNAL], meaning: 'internal error (a bug): the message carries the stack' },
];

/** The classes a failed stock is counted under (the report's `error_types` and `failures[].error_type`), in README's order. */
export const ERROR_TYPES = {
  timeout: 'no complete answer within timeout_seconds',
  network: 'connection refused, reset or cut short; a request cancelled because the run stopped',
  http_5xx: 'the service answered 5xx',
  rate_limited: 'HTTP 429 after the retries, or the run stopped while the source was paused by one',
  http_4xx: 'a 4xx other than 403, 404 (a definite "no data") and 429',
  forbidden: "HTTP 403: from SEC on the run's first request, the User-Agent is refused (the run aborts); from Yahoo, a block",
  proxy: 'the proxy refused the request: HTTP 407 (no or wrong credentials; the run aborts) or a tunnel it would not open',
  invalid_json: 'a body that is not JSON: an HTML or XML error page, or a truncated body',
  malformed: 'a body that is JSON but fails its schema: the service changed or broke its answer',
  body_too_large: 'a body over max_body_mb',
  unexpected_response: 'an answer that cannot be used: data the extraction rejects, a resume the server refused, an empty price batch',
  source_unavailable: "the source's circuit is open: source-wide trouble (a block, 429s, connection failures) stopped its requests",
  storage: "the stock's transaction could not be written (a full or failing disk aborts the run instead)",
  internal: 'a bug in the extraction, or the retry pass stopped before the stock',
} as const;

export type ErrorType = keyof typeof ERROR_TYPES;

/** Classes worth another attempt: the next try may well succeed (README, "Rate limits, retries, failures"). */
export const TRANSIENT_ERROR_TYPES: ReadonlySet<ErrorType> = new Set(['timeout', 'network', 'http_5xx', 'rate_limited', 'invalid_json']);

/**
 * Every kind of error the product throws, and the exit code `main` ends the process with when one
 * reaches it. null: the kind ends no process of its own accord. An `ExitError` carries its code;
 * the others are handled below `main` (a stock's failure, a fallback to per-company requests), so
 * one reaching `main` is a bug (EXIT.INTERNAL).
 */
export const ERROR_KINDS = {
  /** `ExitError`: the code it carries (every use: a usage or configuration error). */
  exit: null,
  /** `LockHeldError`: another run holds the lock. */
  locked: EXIT.LOCKED,
  /** `UniverseError`: the universe cannot be had. */
  universe: EXIT.ABORTED,
  /** `SetupError`: the lock file, the backup or the database failed before the first stock; `status` could not read a PostgreSQL server. */
  setup: EXIT.ABORTED,
  /** `FatalSourceError`: SEC refusing the User-Agent or blocking a third time, a proxy's 407, a full disk mid-run; the runner catches it and ends the run aborted, with its report. */
  fatal: EXIT.ABORTED,
  /** `SourceError`: one request failed, classified by `ErrorType`; a failed stock (a fatal one aborts the run, as above). */
  source: null,
  /** `ArchiveUnavailableError`: the first bulk archive cannot be had; the night goes per company. */
  archive_unavailable: null,
  /** `ZipFormatError`: a bulk archive or entry that cannot be read; its companies go per company. */
  zip_format: null,
} as const satisfies Record<string, ExitCode | null>;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** The base of every error the product throws on purpose; anything else reaching `main` is a bug. */
export abstract class BatchRefreshError extends Error {
  abstract readonly kind: ErrorKind;
  /**
   * Set once the message is in the run's log (file and console, with the run id): `main` then
   * exits without printing it again.
   */
  logged = false;
}

/** The one way code below `main` asks for a particular exit: `main` prints the message and exits with `code`. */
export class ExitError extends BatchRefreshError {
  override readonly name = 'ExitError';
  readonly kind = 'exit';
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

/** Another process holds the run lock; the message names it, and nothing was done. */
export class LockHeldError extends BatchRefreshError {
  override readonly name = 'LockHeldError';
  readonly kind = 'locked';
  constructor(lockPath: string, holder: { pid: number; host: string; started_at: string } | null) {
    const held = `another batch-refresh run holds the lock ${lockPath}`;
    super(`${holder === null ? held : `${held}: PID ${holder.pid} on ${holder.host}, started ${holder.started_at}`}; nothing was done`);
  }
}

/** Raised when the universe cannot be had: nothing can run without it. */
export class UniverseError extends BatchRefreshError {
  override readonly name = 'UniverseError';
  readonly kind = 'universe';
}

/**
 * The run could not start (lock file, backup, database cannot be opened or written): nothing was
 * refreshed, the database is as it was.
 */
export class SetupError extends BatchRefreshError {
  override readonly name = 'SetupError';
  readonly kind = 'setup';
}

/**
 * One request's failure, classified (`type`). SEC error pages are HTML or XML, so the status is
 * checked before any parsing and every failure arrives here with its class.
 */
export class SourceError extends BatchRefreshError {
  override readonly name = 'SourceError';
  readonly kind = 'source';
  readonly transient: boolean;
  /** How many attempts were made before giving up (set by the retrying client). */
  attempts = 1;
  constructor(
    readonly type: ErrorType,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; fatal?: boolean; /** The start of an error page (a 403's), to tell a rate block from a refusal. */ page?: string } = {},
  ) {
    super(message);
    this.transient = TRANSIENT_ERROR_TYPES.has(type);
  }
  /** Every further request would fail the same way (SEC refusing the User-Agent, a full disk): the run aborts. */
  get fatal(): boolean {
    return this.details.fatal === true;
  }
}

/**
 * A failure that must stop the whole run because every further stock would fail the same way:
 * SEC refusing us (403), or a full disk. Thrown through a stock's pipeline to the batch loop.
 */
export class FatalSourceError extends BatchRefreshError {
  override readonly name = 'FatalSourceError';
  readonly kind = 'fatal';
  constructor(
    readonly sourceError: SourceError,
    readonly source = 'sec',
  ) {
    super(sourceError.message);
  }
}

/** SEC has not published the bulk archive (404), or it cannot be had: the night goes per company instead. */
export class ArchiveUnavailableError extends BatchRefreshError {
  override readonly name = 'ArchiveUnavailableError';
  readonly kind = 'archive_unavailable';
}

/** A zip archive or entry that cannot be read (truncated, CRC-32, an unsupported feature). */
export class ZipFormatError extends BatchRefreshError {
  override readonly name = 'ZipFormatError';
  readonly kind = 'zip_format';
}

/**
 * The exit code an error ends a run with (README.md, "Exit codes"): an ExitError's own code, the
 * code of the kind of any other error of the product, EXIT.INTERNAL for a bug. `main` adds
 * commander's parse errors; the in-process tests use it as it is.
 */
export function exitCodeOfError(error: unknown): ExitCode {
  if (error instanceof ExitError) return error.code;
  if (error instanceof BatchRefreshError) return ERROR_KINDS[error.kind] ?? EXIT.INTERNAL;
  return EXIT.INTERNAL;
}
