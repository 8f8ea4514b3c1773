import { SourceError } from '../errors.js';
import { Circuit, type Admission, type CircuitOptions } from './circuit.js';

/*
 * How a source is doing this run, for the SourceClient's decisions and the report's `sources`
 * section: its circuit (circuit.ts), SEC's rate block (a 403 that is not a refusal of the
 * User-Agent), and the figures. docs/reliability.md has the rules in a table.
 */

/** What the report says of a source: `ok`, `throttled` (paused, then went on), `circuit_open`, `blocked`. */
export type SourceState = 'ok' | 'throttled' | 'circuit_open' | 'blocked';

/** The report's `sources.<name>` figures kept by the client (requests and bytes are in SourceStats). */
export interface SourceHealthFigures {
  state: SourceState;
  /** Why the state is not `ok`; null when it is. */
  state_reason: string | null;
  /** Requests that went out and failed (each attempt). */
  failed: number;
  /** Requests not sent because the circuit was open. */
  refused_by_circuit: number;
  /** Cool-downs taken: SEC rate blocks waited out, circuit openings. */
  cooldowns: number;
}

/** SEC's rate block: any 403 once this User-Agent was answered in the run (its page may say so; a refused User-Agent gets the same page). */
export interface BlockPolicy {
  /** How long every request of the source waits after a block (rate_limiting.edgar_block_cooldown_seconds). */
  cooldownMs: number;
  isBlockPage: (page: string) => boolean;
  /** Added to the fatal error of a 403 on the run's first answer: the User-Agent is refused. */
  refusedHint: string;
  /** Blocks in one run that abort it (the one before halves the rate). */
  abortAfter: number;
  /** The service's name in messages ("SEC"). */
  label: string;
}

/** What to do about a 403 under a BlockPolicy. */
export type BlockVerdict = { kind: 'pause'; untilMs: number; slowDown: boolean; message: string } | { kind: 'same_block' } | { kind: 'fatal'; error: SourceError };

export class SourceHealth {
  private readonly circuit: Circuit | null;
  private answeredOnce = false;
  private blocks = 0;
  private blockedUntilMs = 0;
  private throttledReason: string | null = null;
  private fatalReason: string | null = null;
  private failedCount = 0;
  private refusedCount = 0;
  private cooldownCount = 0;

  constructor(
    private readonly name: string,
    circuit: CircuitOptions | undefined,
    private readonly block: BlockPolicy | undefined,
  ) {
    this.circuit = circuit === undefined ? null : new Circuit(circuit);
  }

  /** Whether a request may go out now; a refusal is counted. */
  admit(nowMs: number): Admission {
    const admission = this.circuit?.admit(nowMs) ?? { kind: 'send', probe: false };
    if (admission.kind === 'refused') this.refusedCount += 1;
    return admission;
  }

  answered(probe = false): void {
    this.answeredOnce = true;
    this.circuit?.answered(probe);
  }

  /** A request failed; true when this failure opened the circuit (the client says so in the log). */
  failed(error: SourceError, url: string, nowMs: number, probe: boolean): boolean {
    this.failedCount += 1;
    if (error.type === 'rate_limited') this.throttledReason ??= 'paused by HTTP 429';
    const openings = this.circuit?.openings ?? 0;
    this.circuit?.failed(error, url, nowMs, probe);
    return this.opened(openings);
  }

  /** Soft-block evidence from a provider (a whole batch empty); true when it opened the circuit. */
  suspect(reason: string, nowMs: number): boolean {
    const openings = this.circuit?.openings ?? 0;
    this.circuit?.suspect(reason, nowMs);
    return this.opened(openings);
  }

  healthy(): void {
    this.circuit?.healthy();
  }

  /** A 403 under the block policy: a refused User-Agent (fatal), a new block (pause), or one already being waited out. */
  forbidden(error: SourceError, nowMs: number): BlockVerdict {
    const block = this.block;
    if (block === undefined) return { kind: 'fatal', error };
    const page = error.details.page ?? '';
    // SEC serves the same page to an undeclared User-Agent as to a host over the rate: on the run's
    // first answer it is the User-Agent.
    if (!this.answeredOnce) {
      this.fatalReason = 'the User-Agent was refused (HTTP 403)';
      return { kind: 'fatal', error: new SourceError('forbidden', `${error.message}: ${block.refusedHint}`, { status: 403, fatal: true }) };
    }
    // Requests that were in flight when the block began come back 403 during its cool-down.
    if (nowMs < this.blockedUntilMs) return { kind: 'same_block' };
    this.blocks += 1;
    const seconds = Number((block.cooldownMs / 1000).toFixed(1));
    if (this.blocks >= block.abortAfter) {
      this.fatalReason = `blocked ${this.blocks} times`;
      const message = `${block.label} is throttling this host: blocked (HTTP 403) ${this.blocks} times in one run; let it rest an hour, and lower rate_limiting.edgar_requests_per_second if it happens again`;
      return { kind: 'fatal', error: new SourceError('forbidden', message, { status: 403, fatal: true }) };
    }
    this.blockedUntilMs = nowMs + block.cooldownMs;
    this.cooldownCount += 1;
    const slowDown = this.blocks === block.abortAfter - 1;
    this.throttledReason = `rate block (HTTP 403) ${this.blocks} time${this.blocks === 1 ? '' : 's'}${slowDown ? ', rate halved' : ''}`;
    const what = block.isBlockPage(page) ? 'its rate-block page' : 'after answering this User-Agent';
    const message = `${this.name}: HTTP 403 ${what}: ${block.label}'s rate block (block ${this.blocks} of this run; block ${block.abortAfter} aborts it): pausing every ${block.label} request for ${seconds}s${slowDown ? ', then going on at half the rate' : ''}`;
    return { kind: 'pause', untilMs: this.blockedUntilMs, slowDown, message };
  }

  figures(): SourceHealthFigures {
    const counts = { failed: this.failedCount, refused_by_circuit: this.refusedCount, cooldowns: this.cooldownCount + (this.circuit?.openings ?? 0) };
    if (this.fatalReason !== null) return { state: 'blocked', state_reason: this.fatalReason, ...counts };
    if (this.circuit?.isOpen === true) return { state: this.circuit.kind ?? 'circuit_open', state_reason: this.circuit.reason, ...counts };
    if ((this.circuit?.openings ?? 0) > 0) return { state: 'throttled', state_reason: `circuit opened and closed again (last: ${this.circuit?.reason ?? ''})`, ...counts };
    return { state: this.throttledReason === null ? 'ok' : 'throttled', state_reason: this.throttledReason, ...counts };
  }

  /** The open circuit's reason, when it is open. */
  get openReason(): string | null {
    return this.circuit?.isOpen === true ? this.circuit.reason : null;
  }

  private opened(openingsBefore: number): boolean {
    return (this.circuit?.openings ?? 0) > openingsBefore;
  }
}
