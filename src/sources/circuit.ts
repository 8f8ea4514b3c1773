import type { SourceError } from '../errors.js';
import { hostOf } from './http.js';

/*
 * A source's circuit breaker (docs/reliability.md, "When a whole source is in trouble"): trouble
 * that is the source's and not one request's — a block (Yahoo's 403), 429s without Retry-After in a
 * row, a Retry-After longer than a night should wait, connections failing in a row, answers that
 * look like a soft block — opens it. While it is open no request goes out; after the cool-down one
 * request goes out as a probe: an answer closes it, a failure opens it for another cool-down.
 */

export interface CircuitOptions {
  /** How long the circuit stays open before a probe (rate_limiting.circuit_cooldown_seconds). */
  cooldownMs: number;
  /** A 403 opens it at once: Yahoo's block. False where a 403 means something else (SEC). */
  openOnForbidden: boolean;
  /** 429s without Retry-After in a row that open it. */
  rateLimitsInRow?: number;
  /** Requests to different URLs failing to connect (or timing out) in a row that open it: one URL's retries are one stock's trouble. */
  connectionFailuresInRow?: number;
  /** Suspect answers (soft-block evidence) in a row that open it. */
  suspectAnswersInRow?: number;
  /** A Retry-After longer than this opens it for that long instead of pausing (the client's cap). */
  longestPauseMs: number;
  /** Hosts the source answers from (Yahoo's list): a block opens it only once every host refused. @default 1 */
  hosts?: number;
}

export type Admission = { kind: 'send'; probe: boolean } | { kind: 'refused'; message: string };

/** Whether an opening was a block (a 403) or other source-wide trouble. */
export type OpenKind = 'blocked' | 'circuit_open';

export class Circuit {
  /** When the open circuit admits a probe; null while it is closed. */
  private openUntilMs: number | null = null;
  private probing = false;
  /** 429s without Retry-After in a row, per host. */
  private readonly rateLimits = new Map<string, number>();
  /** Hosts that answered 403 since the last answer. */
  private readonly forbiddenHosts = new Set<string>();
  private readonly connectionFailures = new Set<string>();
  private suspects = 0;
  /** Why it is (or was last) open, and whether that was a block. */
  reason: string | null = null;
  kind: OpenKind | null = null;
  /** How many times it opened this run. */
  openings = 0;

  constructor(private readonly options: CircuitOptions) {}

  get isOpen(): boolean {
    return this.openUntilMs !== null;
  }

  /** Whether a request may go out at `nowMs`: the first one after the cool-down is the probe. */
  admit(nowMs: number): Admission {
    if (this.openUntilMs === null) return { kind: 'send', probe: false };
    if (nowMs >= this.openUntilMs && !this.probing) {
      this.probing = true;
      return { kind: 'send', probe: true };
    }
    return { kind: 'refused', message: `circuit open (${this.reason ?? 'source-wide trouble'}): no requests until ${new Date(this.openUntilMs).toISOString()}` };
  }

  /**
   * The source answered (any status the client accepts): the counts start again, and the probe's
   * answer closes the circuit. An answer to a request sent before it opened leaves it open.
   */
  answered(probe = false): void {
    if (this.openUntilMs !== null && !probe) return;
    this.openUntilMs = null;
    this.probing = false;
    this.resetCounts();
  }

  /** A request failed: counts source-wide trouble, opens the circuit when it is enough. */
  failed(error: SourceError, url: string, nowMs: number, probe: boolean): void {
    // Requests that were in flight when it opened come back failed too: the same trouble.
    if (this.openUntilMs !== null && !probe) return;
    const status = error.details.status;
    if (probe) return this.open(`the probe after the cool-down failed: ${error.message}`, nowMs, this.kind ?? 'circuit_open');
    const host = hostOf(url);
    const hosts = this.options.hosts ?? 1;
    if (error.type === 'forbidden' && this.options.openOnForbidden) {
      this.forbiddenHosts.add(host);
      if (this.forbiddenHosts.size >= hosts) return this.open(`blocked: ${error.message}`, nowMs, 'blocked');
      return;
    }
    if (error.type === 'rate_limited' && status === 429) {
      const retryAfter = error.details.retryAfterMs;
      if (retryAfter !== undefined && retryAfter > this.options.longestPauseMs) {
        return this.open(`HTTP 429 asking to wait ${Math.round(retryAfter / 1000)}s`, nowMs, 'circuit_open', retryAfter);
      }
      if (retryAfter !== undefined) return;
      const inRow = (this.rateLimits.get(host) ?? 0) + 1;
      this.rateLimits.set(host, inRow);
      const needed = this.options.rateLimitsInRow ?? 3;
      if ([...this.rateLimits.values()].filter((n) => n >= needed).length >= hosts) return this.open(`${inRow} HTTP 429s in a row without Retry-After`, nowMs, 'circuit_open');
      return;
    }
    if (error.type === 'network' || error.type === 'timeout') {
      this.connectionFailures.add(url);
      const failures = this.connectionFailures.size;
      if (failures >= (this.options.connectionFailuresInRow ?? 5)) return this.open(`${failures} requests in a row could not connect (last: ${error.message})`, nowMs, 'circuit_open');
    }
  }

  /**
   * An answer that arrived but looks like a soft block (a whole price batch empty for symbols that
   * had prices). After an opening this run, one is enough.
   */
  suspect(reason: string, nowMs: number): void {
    if (this.openUntilMs !== null) return;
    this.suspects += 1;
    const needed = this.openings > 0 ? 1 : (this.options.suspectAnswersInRow ?? 2);
    if (this.suspects >= needed) this.open(`${reason} (${this.suspects} in a row: a soft block)`, nowMs, 'blocked');
  }

  /** An answer with the data asked for: suspect answers are no longer in a row. */
  healthy(): void {
    this.suspects = 0;
  }

  private open(reason: string, nowMs: number, kind: OpenKind, cooldownMs = this.options.cooldownMs): void {
    this.openUntilMs = nowMs + cooldownMs;
    this.probing = false;
    this.reason = reason;
    this.kind = kind;
    this.openings += 1;
    this.resetCounts();
    this.suspects = 0;
  }

  private resetCounts(): void {
    this.rateLimits.clear();
    this.forbiddenHosts.clear();
    this.connectionFailures.clear();
  }
}
