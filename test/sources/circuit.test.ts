import { describe, expect, it } from 'vitest';
import { SourceError } from '../../src/errors.js';
import { Circuit } from '../../src/sources/circuit.js';
import { SendWindow } from '../../src/sources/send-window.js';
import { SourceHealth, type BlockPolicy } from '../../src/sources/source-health.js';

/* The circuit and SEC's rate block as pure rules: what opens, what a probe does, what a 403 means. */

const OPTIONS = { cooldownMs: 60_000, openOnForbidden: true, longestPauseMs: 300_000 };
const URL_A = 'https://query1.example/v8/finance/spark?symbols=A';
const error = (type: ConstructorParameters<typeof SourceError>[0], details: ConstructorParameters<typeof SourceError>[2] = {}) => new SourceError(type, `${type} error`, details);

describe('Circuit', () => {
  it('opens on a 403 (a block) and refuses until the cool-down, then lets one probe through', () => {
    const circuit = new Circuit(OPTIONS);
    expect(circuit.admit(0)).toEqual({ kind: 'send', probe: false });
    circuit.failed(error('forbidden', { status: 403 }), URL_A, 1000, false);
    expect(circuit).toMatchObject({ isOpen: true, kind: 'blocked', openings: 1 });
    expect(circuit.admit(30_000)).toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/^circuit open \(blocked: forbidden error\): no requests until 1970-01-01T00:01:01.000Z$/) as string,
    });
    expect(circuit.admit(61_000)).toEqual({ kind: 'send', probe: true });
    // Only one probe at a time.
    expect(circuit.admit(61_001).kind).toBe('refused');
    circuit.answered(true);
    expect(circuit.isOpen).toBe(false);
    expect(circuit.admit(61_002)).toEqual({ kind: 'send', probe: false });
  });

  it('a failed probe opens it for another cool-down', () => {
    const circuit = new Circuit(OPTIONS);
    circuit.failed(error('forbidden', { status: 403 }), URL_A, 0, false);
    expect(circuit.admit(60_000)).toEqual({ kind: 'send', probe: true });
    circuit.failed(error('http_5xx', { status: 503 }), URL_A, 60_100, true);
    expect(circuit).toMatchObject({ isOpen: true, openings: 2 });
    expect(circuit.reason).toMatch(/^the probe after the cool-down failed/);
    expect(circuit.admit(100_000).kind).toBe('refused');
    expect(circuit.admit(120_100)).toEqual({ kind: 'send', probe: true });
  });

  it('opens after three 429s in a row without Retry-After; an answer in between starts the count again; a 429 with Retry-After is a pause', () => {
    const circuit = new Circuit(OPTIONS);
    const limited = error('rate_limited', { status: 429 });
    circuit.failed(limited, URL_A, 0, false);
    circuit.failed(limited, URL_A, 1, false);
    circuit.answered();
    circuit.failed(limited, URL_A, 2, false);
    circuit.failed(error('rate_limited', { status: 429, retryAfterMs: 1000 }), URL_A, 3, false);
    circuit.failed(limited, URL_A, 4, false);
    expect(circuit.isOpen).toBe(false);
    circuit.failed(limited, URL_A, 5, false);
    expect(circuit).toMatchObject({ isOpen: true, kind: 'circuit_open', reason: '3 HTTP 429s in a row without Retry-After' });
  });

  it('a Retry-After longer than the longest pause opens it for that long', () => {
    const circuit = new Circuit(OPTIONS);
    circuit.failed(error('rate_limited', { status: 429, retryAfterMs: 3_600_000 }), URL_A, 0, false);
    expect(circuit.reason).toBe('HTTP 429 asking to wait 3600s');
    expect(circuit.admit(3_599_999).kind).toBe('refused');
    expect(circuit.admit(3_600_000)).toEqual({ kind: 'send', probe: true });
  });

  it("counts connection failures by URL: one URL's retries are one stock's trouble, five URLs in a row are the source's", () => {
    const circuit = new Circuit(OPTIONS);
    for (let i = 0; i < 10; i += 1) circuit.failed(error('network'), URL_A, i, false);
    expect(circuit.isOpen).toBe(false);
    for (let i = 1; i <= 3; i += 1) circuit.failed(error('timeout'), `${URL_A}${i}`, 20 + i, false);
    expect(circuit.isOpen).toBe(false);
    circuit.failed(error('network'), `${URL_A}4`, 30, false);
    expect(circuit).toMatchObject({ isOpen: true, reason: '5 requests in a row could not connect (last: network error)' });
  });

  it('with several hosts, a block opens it only once every host refused', () => {
    const circuit = new Circuit({ ...OPTIONS, hosts: 2 });
    circuit.failed(error('forbidden', { status: 403 }), URL_A, 0, false);
    circuit.failed(error('forbidden', { status: 403 }), URL_A, 1, false);
    expect(circuit.isOpen).toBe(false);
    circuit.failed(error('forbidden', { status: 403 }), 'https://query2.example/v8/finance/chart/A', 2, false);
    expect(circuit.isOpen).toBe(true);
  });

  it('soft-block evidence: two suspect answers in a row open it (one after an opening); an answer with data breaks the row', () => {
    const circuit = new Circuit(OPTIONS);
    circuit.suspect('empty batch', 0);
    circuit.healthy();
    circuit.suspect('empty batch', 1);
    expect(circuit.isOpen).toBe(false);
    circuit.suspect('empty batch', 2);
    expect(circuit).toMatchObject({ isOpen: true, kind: 'blocked', reason: 'empty batch (2 in a row: a soft block)' });
    expect(circuit.admit(60_002)).toEqual({ kind: 'send', probe: true });
    circuit.answered(true);
    circuit.suspect('empty batch', 60_003);
    expect(circuit.isOpen).toBe(true);
  });

  it('answers to requests sent before it opened do not close it: only the probe does', () => {
    const circuit = new Circuit(OPTIONS);
    circuit.failed(error('forbidden', { status: 403 }), URL_A, 0, false);
    circuit.answered();
    expect(circuit.isOpen).toBe(true);
    expect(circuit.admit(60_000)).toEqual({ kind: 'send', probe: true });
    circuit.answered(true);
    expect(circuit.isOpen).toBe(false);
  });

  it('failures of requests in flight when it opened do not open it again', () => {
    const circuit = new Circuit(OPTIONS);
    circuit.failed(error('forbidden', { status: 403 }), URL_A, 0, false);
    circuit.failed(error('forbidden', { status: 403 }), URL_A, 10, false);
    expect(circuit.openings).toBe(1);
    expect(circuit.admit(60_000).kind).toBe('send');
  });
});

describe("SourceHealth: SEC's 403", () => {
  const policy: BlockPolicy = { cooldownMs: 600_000, isBlockPage: (page) => page.includes('Request Rate Threshold Exceeded'), refusedHint: 'declare a User-Agent', abortAfter: 3, label: 'SEC' };
  const forbidden = (page = '<html>Forbidden</html>') => error('forbidden', { status: 403, page });

  it("on the run's first answer is the refused User-Agent, even with the block page (SEC serves it for both)", () => {
    const health = new SourceHealth('sec', undefined, policy);
    const verdict = health.forbidden(forbidden('<title>SEC.gov | Request Rate Threshold Exceeded</title>'), 0);
    expect(verdict.kind).toBe('fatal');
    if (verdict.kind !== 'fatal') return;
    expect(verdict.error).toMatchObject({ type: 'forbidden', fatal: true });
    expect(verdict.error.message).toBe('forbidden error: declare a User-Agent');
    expect(health.figures()).toMatchObject({ state: 'blocked', state_reason: 'the User-Agent was refused (HTTP 403)' });
  });

  it('after an answer: a block pauses for the cool-down; 403s during it are the same block; the second halves the rate; the third aborts', () => {
    const health = new SourceHealth('sec', undefined, policy);
    health.answered();
    expect(health.forbidden(forbidden(), 1000)).toEqual({
      kind: 'pause',
      untilMs: 601_000,
      slowDown: false,
      message: expect.stringContaining('(block 1 of this run; block 3 aborts it): pausing every SEC request for 600s') as string,
    });
    expect(health.forbidden(forbidden(), 2000)).toEqual({ kind: 'same_block' });
    expect(health.figures()).toMatchObject({ state: 'throttled', cooldowns: 1, state_reason: 'rate block (HTTP 403) 1 time' });
    const second = health.forbidden(forbidden(), 700_000);
    expect(second).toMatchObject({ kind: 'pause', untilMs: 1_300_000, slowDown: true });
    expect(health.figures().state_reason).toBe('rate block (HTTP 403) 2 times, rate halved');
    const third = health.forbidden(forbidden(), 1_400_000);
    expect(third.kind).toBe('fatal');
    if (third.kind === 'fatal') expect(third.error.message).toMatch(/^SEC is throttling this host: blocked \(HTTP 403\) 3 times in one run/);
    expect(health.figures()).toMatchObject({ state: 'blocked', cooldowns: 2 });
  });
});

describe('SendWindow.slowDown (a second SEC block)', () => {
  it('halves the requests per window, or doubles the window of one', () => {
    const ten = new SendWindow(10, 1000);
    ten.slowDown();
    expect(ten.perSecond).toBe(5);
    const nine = new SendWindow(9, 1000);
    nine.slowDown();
    expect(nine.perSecond).toBe(4);
    const one = new SendWindow(1, 500);
    one.slowDown();
    expect(one.perSecond).toBe(1);
  });
});
