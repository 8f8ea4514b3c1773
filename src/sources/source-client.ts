import pRetry from 'p-retry';
import pThrottle from 'p-throttle';
import { SourceError } from '../errors.js';
import { httpGet, httpOpen, type HttpBody } from './http.js';
import type { BodyResult, RequestOptions, SourceClientOptions, SourceDeps, SourceStats, Validators } from './source-types.js';
import type { ResponseKind } from './response-kind.js';
import { SendWindow } from './send-window.js';
import { SourceHealth, type SourceHealthFigures } from './source-health.js';

/** Retry-After beyond this is not waited for: the circuit opens instead (or, without one, the pause is capped). */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;
/** The cool-downs' default (SEC lifts a rate block after 10 minutes under its limit). */
export const DEFAULT_COOLDOWN_MS = 600_000;
/** Longest backoff between two attempts, whatever the base delay. */
const MAX_BACKOFF_MS = 60_000;
/**
 * Added to the throttle's interval: p-throttle schedules with Date.now() and timers, which can
 * fire a millisecond early, and a ceiling must hold exactly (0.2% of throughput at 1 s).
 */
const THROTTLE_SAFETY_MS = 2;
/** Timers may fire a little before Date.now() says they should; a sleep shorter than this is not cut short. */
const EARLY_WAKE_TOLERANCE_MS = 10;
/** What a throttle slot yields when the source was paused while the request waited for it. */
const PAUSED = Symbol('paused');

export type { BodyResult, RequestOptions, SourceClientOptions, SourceDeps, SourceStats, Validators } from './source-types.js';

/**
 * A rate-limited, retrying client for one service. The ceiling is a sliding window
 * (p-throttle strict mode), so no second ever holds more than `limit` requests; a 429 pauses the
 * whole source, not just the worker that saw it.
 */
export class SourceClient {
  readonly stats: SourceStats = { requests: 0, retries: 0, bytes: 0, rate_limited: 0, not_modified: 0 };
  private pausedUntilMs = 0;
  /** Whether the pause is SEC's rate block's cool-down rather than a 429's. */
  private pausedByBlock = false;
  /** Resolved when the source next pauses (whenPaused), then replaced. */
  private nextPause: { promise: Promise<void>; resolve: () => void } | null = null;
  /** A pause was cut short by the run stopping: nothing of this source is retried any more. */
  private interrupted = false;
  private readonly throttled: <T>(task: () => Promise<T>) => Promise<T>;
  private readonly window: SendWindow;
  private readonly health: SourceHealth;

  constructor(
    private readonly options: SourceClientOptions,
    private readonly deps: SourceDeps,
  ) {
    this.window = new SendWindow(options.limit, options.intervalMs);
    this.health = new SourceHealth(options.name, options.circuit, options.block);
    const throttle = pThrottle({ limit: options.limit, interval: options.intervalMs + THROTTLE_SAFETY_MS, strict: true });
    const gate = throttle(async <T>(task: () => Promise<T>) => task());
    this.throttled = <T>(task: () => Promise<T>) => gate<T>(task);
  }

  /**
   * GETs one answer of `kind` and decodes it there, where the bytes arrive: the typed body, or
   * `not_found` for a 404; a `SourceError` after the retries for anything else. With `validators`
   * from an earlier answer the request is conditional (If-None-Match / If-Modified-Since), and a
   * server that supports it answers `not_modified` without a body.
   */
  async getBody<T>(kind: ResponseKind<T>, url: string, validators?: Validators, request: RequestOptions = {}): Promise<BodyResult<T>> {
    const conditional: Record<string, string> = {};
    if (validators?.etag) conditional['If-None-Match'] = validators.etag;
    if (validators?.last_modified) conditional['If-Modified-Since'] = validators.last_modified;
    // Decoding is part of the attempt: a truncated or HTML body (invalid_json) is retried like any
    // transient fault; one that parses but breaks its schema (malformed) would come back the same.
    return this.retrying(async () => {
      const response = await this.attempt(url, this.bodyRequest(url, conditional), request);
      if (response.status === 304) return { kind: 'not_modified' };
      if (response.status === 404) return { kind: 'not_found' };
      return {
        kind: 'data',
        body: kind.decode(response.body, url),
        validators: { etag: response.headers.get('etag'), last_modified: response.headers.get('last-modified') },
      };
    }, request.cancel);
  }

  /** GETs raw bytes under the same ceiling and retries (2xx and 404 resolve). */
  async get(url: string): Promise<{ status: number; body: Buffer; headers: Headers }> {
    return this.retrying(() => this.attempt(url, this.bodyRequest(url)));
  }

  /**
   * Opens a GET under the same ceiling, pause and retries, for a body too large to hold (SEC's
   * bulk archives): resolves for 2xx, 304 and 404 with the body unread. `timeoutMs` covers only
   * the headers and `maxBytes` does not apply; the caller adds what it reads with `countBytes`.
   */
  async openStream(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.retrying(() =>
      this.attempt(url, (onSend) =>
        httpOpen(url, {
          headers: { ...this.options.headers, ...headers },
          timeoutMs: this.options.timeoutMs,
          fetch: this.deps.fetch,
          nowMs: () => this.deps.now().getTime(),
          onSend,
        }),
      ),
    );
  }

  /** Counts body bytes read from an `openStream` response. */
  countBytes(bytes: number): void {
    this.stats.bytes += bytes;
  }

  private retrying<T>(task: () => Promise<T>, cancel?: AbortSignal): Promise<T> {
    return pRetry(task, {
      ...(cancel ? { signal: cancel } : {}),
      retries: this.options.retries,
      factor: 2,
      minTimeout: this.options.retryBaseDelayMs,
      maxTimeout: MAX_BACKOFF_MS,
      randomize: true,
      shouldRetry: ({ error }) => error instanceof SourceError && error.transient && !error.fatal && !this.interrupted && cancel?.aborted !== true,
      onFailedAttempt: ({ error, retriesLeft, attemptNumber }) => {
        if (error instanceof SourceError) error.attempts = attemptNumber;
        if (!(error instanceof SourceError) || !error.transient || retriesLeft === 0) return;
        this.stats.retries += 1;
        this.deps.log('debug', `${this.options.name}: ${error.message}; retrying (${retriesLeft} left)`);
      },
    });
  }

  /** A GET whose body is read in full, counted in the stats. */
  private bodyRequest(url: string, extraHeaders: Record<string, string> = {}): (onSend: () => void) => Promise<HttpBody> {
    return async (onSend) => {
      const response = await httpGet(url, {
        headers: { ...this.options.headers, ...extraHeaders },
        timeoutMs: this.options.timeoutMs,
        maxBytes: this.options.maxBytes,
        fetch: this.deps.fetch,
        nowMs: () => this.deps.now().getTime(),
        onSend,
      });
      this.stats.bytes += response.body.length;
      if (response.status === 304) this.stats.not_modified += 1;
      return response;
    };
  }

  private async attempt<T>(url: string, request: (onSend: () => void) => Promise<T>, options: RequestOptions = {}): Promise<T> {
    for (;;) {
      await this.waitWhilePaused();
      const response = await this.send(url, request, options);
      if (response !== PAUSED) return response;
    }
  }

  /** One request in its throttle slot; PAUSED when the source was paused while it waited for the slot, or a block paused it. */
  private send<T>(url: string, request: (onSend: () => void) => Promise<T>, options: RequestOptions): Promise<T | typeof PAUSED> {
    return this.throttled(async () => {
      // A request nobody waits for any more (prices asked ahead for stocks a stopped run will not
      // start) gives up its slot instead of going out.
      if (options.cancel?.aborted === true) throw new SourceError('network', `${this.options.name}: request cancelled, the run stopped`);
      // p-throttle fixes a slot's time when the request joins the queue: requests queued before a
      // 429 would go out during its pause. Such a slot goes unused and the request queues again.
      if (this.pausedUntilMs > this.deps.now().getTime()) return PAUSED;
      const admission = this.health.admit(this.deps.now().getTime());
      if (admission.kind === 'refused') throw new SourceError('source_unavailable', `${this.options.name}: ${admission.message}`);
      const slot = await this.window.reserve();
      this.stats.requests += 1;
      try {
        const response = await request(slot.markSent);
        this.health.answered(admission.probe);
        return response;
      } catch (error) {
        if (!(error instanceof SourceError)) throw error;
        return this.failedSend(error, url, admission.probe, options);
      }
    });
  }

  /** A request that failed: the pause of a 429, SEC's rate block, the circuit; PAUSED to send it again after a block's cool-down. */
  private failedSend(error: SourceError, url: string, probe: boolean, options: RequestOptions): typeof PAUSED {
    const nowMs = this.deps.now().getTime();
    if (error.type === 'rate_limited') {
      this.stats.rate_limited += 1;
      // The whole source waits, also when this request has no retry left: the others still do.
      if ((error.details.retryAfterMs ?? 0) <= MAX_RETRY_AFTER_MS || this.options.circuit === undefined) this.pause(error.details.retryAfterMs);
    }
    if (error.type === 'forbidden' && this.options.block !== undefined) {
      const isBlockPage = this.options.block.isBlockPage(error.details.page ?? '');
      if (options.forbiddenMeansAbsent === true && !isBlockPage) throw error;
      const verdict = this.health.forbidden(error, nowMs);
      if (verdict.kind === 'fatal') throw verdict.error;
      if (verdict.kind === 'pause') {
        this.pausedUntilMs = Math.max(this.pausedUntilMs, verdict.untilMs);
        this.pausedByBlock = true;
        this.announcePause();
        if (verdict.slowDown) this.window.slowDown();
        this.deps.log('warn', verdict.message);
      }
      return PAUSED;
    }
    if (this.health.failed(error, url, nowMs, probe)) {
      this.deps.log(
        'warn',
        `${this.options.name}: ${this.health.openReason ?? 'source-wide trouble'}: its circuit is open, no ${this.options.name} request goes out until a probe after the cool-down succeeds`,
      );
    }
    throw error;
  }

  /** The source's state and trouble, for the report (SourceHealthFigures). */
  healthFigures(): SourceHealthFigures {
    return this.health.figures();
  }

  /** Soft-block evidence from a provider (an empty answer for symbols that had data); may open the circuit. */
  suspectAnswer(reason: string): void {
    if (this.health.suspect(reason, this.deps.now().getTime())) {
      this.deps.log('warn', `${this.options.name}: ${this.health.openReason ?? reason}: its circuit is open, stored data is kept`);
    }
  }

  /** An answer with the data asked for (suspect answers are no longer in a row). */
  healthyAnswer(): void {
    this.health.healthy();
  }

  /**
   * Resolves when every request of this source is made to wait (a 429's Retry-After, SEC's rate
   * block): at once while it waits. What waits on the source's answers can go on without them.
   */
  whenPaused(): Promise<void> {
    if (this.pausedUntilMs > this.deps.now().getTime()) return Promise.resolve();
    if (this.nextPause === null) {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((done) => (resolve = done));
      this.nextPause = { promise, resolve };
    }
    return this.nextPause.promise;
  }

  private announcePause(): void {
    this.nextPause?.resolve();
    this.nextPause = null;
  }

  /** Every worker of this source waits out a 429's Retry-After (or one base delay when absent). */
  private pause(retryAfterMs: number | undefined): void {
    const delay = Math.min(retryAfterMs ?? this.options.retryBaseDelayMs, MAX_RETRY_AFTER_MS);
    const until = this.deps.now().getTime() + delay;
    if (until > this.pausedUntilMs) {
      this.pausedUntilMs = until;
      this.pausedByBlock = false;
      this.announcePause();
      this.deps.log('warn', `${this.options.name}: rate limited (HTTP 429); pausing all requests for ${(delay / 1000).toFixed(1)}s`);
    }
  }

  /**
   * The injected sleep returns at once when the run is interrupted (SIGINT/SIGTERM). Looping on it
   * would spin on resolved promises and starve the event loop (the process hangs at 100% CPU), and
   * sending would ignore the server's Retry-After: an early wake-up fails the request instead.
   */
  private async waitWhilePaused(): Promise<void> {
    for (;;) {
      const started = this.deps.now().getTime();
      const wait = this.pausedUntilMs - started;
      if (wait <= 0) return;
      await this.deps.sleep(wait);
      const left = wait - (this.deps.now().getTime() - started);
      if (left > EARLY_WAKE_TOLERANCE_MS) {
        this.interrupted = true;
        const seconds = Math.ceil(left / 1000);
        const what = this.pausedByBlock ? `its rate block (${seconds}s of the cool-down left)` : `HTTP 429 (${seconds}s of Retry-After left)`;
        throw new SourceError('rate_limited', `${this.options.name}: stopped while paused by ${what}`);
      }
    }
  }
}
