import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/errors.js';
import { TICKER_FILE } from '../../src/sources/schemas/ticker-file.js';
import { SourceClient, type SourceClientOptions } from '../../src/sources/source-client.js';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';

/*
 * The 429 pause of one source, at the client: it holds for requests already queued in the
 * throttle, for a request with no retry left, and it never spins when the run's sleep is cut short.
 */

let standIn: StandIn;

beforeEach(async () => {
  standIn = await startStandIn({ data: syntheticDataset(syntheticCompanies(1)) });
});

afterEach(async () => {
  await standIn.close();
});

const url = (): string => `${standIn.url}/files/company_tickers_exchange.json`;
const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function makeClient(overrides: Partial<SourceClientOptions> = {}, sleep = realSleep) {
  const sends: number[] = [];
  const client = new SourceClient(
    { name: 'yahoo', limit: 1, intervalMs: 1, timeoutMs: 2000, maxBytes: 1024 * 1024, headers: { 'User-Agent': 'tests tests@example.com' }, retries: 2, retryBaseDelayMs: 5, ...overrides },
    {
      fetch: (input, init) => {
        sends.push(performance.now());
        return fetch(input, init);
      },
      now: () => new Date(),
      sleep,
      log: () => undefined,
    },
  );
  return { client, sends };
}

async function rejection(promise: Promise<unknown>): Promise<SourceError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

describe('the pause a 429 puts on a source', () => {
  it('holds for requests that were already waiting in the throttle queue', async () => {
    standIn.addFault('company_tickers', { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, 1);
    // One request every 150 ms: the second and third have their slots (150, 300 ms) before the pause ends.
    const { client, sends } = makeClient({ intervalMs: 150 });
    await Promise.all([client.getBody(TICKER_FILE, url()), client.getBody(TICKER_FILE, url()), client.getBody(TICKER_FILE, url())]);
    expect(sends).toHaveLength(4);
    const first = sends[0] as number;
    expect(
      sends
        .slice(1)
        .map((at) => at - first)
        .every((ms) => ms >= 990),
    ).toBe(true);
  });

  it('is announced to whoever waits on the source (whenPaused): at the 429, and at once while it lasts', async () => {
    standIn.addFault('company_tickers', { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, 1);
    const { client } = makeClient();
    let announced: number | null = null;
    const started = performance.now();
    void client.whenPaused().then(() => (announced = performance.now() - started));
    await realSleep(50);
    expect(announced).toBeNull();
    const request = client.getBody(TICKER_FILE, url());
    await realSleep(300);
    expect(announced).not.toBeNull();
    expect(announced).toBeLessThan(300);
    // While paused, at once; the request itself waits the second out.
    await expect(Promise.race([client.whenPaused().then(() => 'now'), realSleep(20).then(() => 'later')])).resolves.toBe('now');
    await request;
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    // Not paused any more: the next announcement waits for the next pause.
    await expect(Promise.race([client.whenPaused().then(() => 'now'), realSleep(50).then(() => 'later')])).resolves.toBe('later');
  });

  it('is set by a 429 on a request that has no retry left, for the other callers', async () => {
    standIn.addFault('company_tickers', { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, 1);
    const { client, sends } = makeClient({ retries: 0 });
    expect(await rejection(client.getBody(TICKER_FILE, url()))).toMatchObject({ type: 'rate_limited', attempts: 1 });
    await client.getBody(TICKER_FILE, url());
    expect((sends[1] as number) - (sends[0] as number)).toBeGreaterThanOrEqual(990);
  });

  it('ends with rate_limited, sending nothing, when the sleep returns early (the run is stopping)', async () => {
    standIn.addFault('company_tickers', { kind: 'status', status: 429, headers: { 'retry-after': '120' } }, 1);
    // As the CLI's sleep does on SIGINT/SIGTERM: a sleep under way ends, later ones return at once.
    const stop = new AbortController();
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        if (stop.signal.aborted) return resolve();
        const timer = setTimeout(resolve, ms);
        stop.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    const { client, sends } = makeClient({}, sleep);
    const pending = client.getBody(TICKER_FILE, url());
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop.abort();
    const started = performance.now();
    const error = await rejection(pending);
    expect(error.type).toBe('rate_limited');
    expect(error.message).toMatch(/stopped while paused by HTTP 429 \(\d+s of Retry-After left\)/);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(sends).toHaveLength(1);
  });
});
