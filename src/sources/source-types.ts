import type { CircuitOptions } from './circuit.js';
import type { FetchFn } from './http.js';
import type { BlockPolicy } from './source-health.js';

/* The SourceClient's options, effects, figures and answers (source-client.ts). */

export interface SourceClientOptions {
  /** Name used in the report's `requests` and in messages: "sec", "yahoo". */
  name: string;
  /** Requests allowed per `intervalMs`, across every worker sharing this client. */
  limit: number;
  intervalMs: number;
  timeoutMs: number;
  maxBytes: number;
  headers: Record<string, string>;
  retries: number;
  retryBaseDelayMs: number;
  /** Source-wide trouble stops this source's requests (circuit.ts). */
  circuit?: CircuitOptions;
  /** A 403 is SEC's rate block, or on the run's first answer a refused User-Agent (source-health.ts). */
  block?: BlockPolicy;
}

/** One call's treatment of answers. */
export interface RequestOptions {
  /** Aborted: the request is not sent (or retried) any more. */
  cancel?: AbortSignal | undefined;
  /**
   * A 403 that is not a rate-block page means "not there (yet)", as SEC's archives answer for a file
   * not published: it reaches the caller as a non-fatal `forbidden` error, no block and no refusal.
   */
  forbiddenMeansAbsent?: boolean;
}

export interface SourceDeps {
  fetch: FetchFn;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  log: (level: 'debug' | 'warn', message: string) => void;
}

/** Counters per source, for the report and metrics. */
export interface SourceStats {
  requests: number;
  retries: number;
  bytes: number;
  rate_limited: number;
  /** Conditional requests answered 304: the data had not changed and no body came. */
  not_modified: number;
}

/** What a server said of a resource, to ask next time whether it changed (ETag / Last-Modified). */
export interface Validators {
  etag: string | null;
  last_modified: string | null;
}

/** An answer decoded through its kind: the typed body, or a definite "no data" (404), or "not modified" (304). */
export type BodyResult<T> = { kind: 'data'; body: T; validators: Validators } | { kind: 'not_found' } | { kind: 'not_modified' };
