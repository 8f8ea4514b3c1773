import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { DISCORD_MAX_CHARS } from '../../src/notify/message.js';
import { sendNotifications, type NotifyDeps } from '../../src/notify/notify.js';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { sampleReport } from '../helpers/sample-report.js';

/** What Slack and Discord put in the path: a credential that must never be logged. */
const TOKEN = 'XoXbT0kEnInThePath42';
const REPORT_PATH = '/var/lib/batch-refresh/reports/batch_summary_20261125_020003.json';

function report(overrides: Partial<SummaryReport> = {}): SummaryReport {
  return sampleReport({
    successful: 97,
    failed: 3,
    success_rate: '97.00%',
    failed_symbols: ['AAA', 'BBB', 'C&<D>'],
    error_types: { timeout: 2, http_5xx: 1 },
    unchanged: 10,
    requests: { sec: 300, yahoo: 5 },
    ...overrides,
  });
}

function deps(timeoutMs = 2000) {
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(`INFO ${m}`), warn: (m: string) => lines.push(`WARN ${m}`), error: (m: string) => lines.push(`ERROR ${m}`) };
  const d: NotifyDeps = { env: {}, fetch, log, timeoutMs };
  return { deps: d, lines };
}

function notifications(webhooks: Config['notifications']['webhooks']): Config['notifications'] {
  return {
    enabled: true,
    webhooks,
    email: { enabled: false, smtp_server: '', smtp_port: 587, from_address: '', to_addresses: [], on_error_only: true, use_tls: true },
  };
}

interface Hit {
  path: string;
  contentType: string | undefined;
  body: unknown;
}
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** A local HTTP receiver; `answer` decides the response (default 204). */
async function startReceiver(answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(204).end()) {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      answer(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, hits };
}

describe('webhook notifications to a local receiver', () => {
  it('posts the slack, discord and json bodies, and logs each webhook by scheme and host only', async () => {
    const receiver = await startReceiver();
    const { deps: d, lines } = deps();
    const results = await sendNotifications(
      notifications([
        { url: `${receiver.base}/services/T000/B000/${TOKEN}`, format: 'slack', on_error_only: false },
        { url: `${receiver.base}/api/webhooks/123/${TOKEN}`, format: 'discord', on_error_only: false },
        { url: `${receiver.base}/hook?token=${TOKEN}`, format: 'json', on_error_only: false },
      ]),
      report(),
      REPORT_PATH,
      d,
    );
    expect(results).toEqual([
      { channel: `webhook #1 (slack, ${receiver.base}/…)`, delivered: true },
      { channel: `webhook #2 (discord, ${receiver.base}/…)`, delivered: true },
      { channel: `webhook #3 (json, ${receiver.base}/…)`, delivered: true },
    ]);
    const byPath = (fragment: string) => receiver.hits.find((hit) => hit.path.includes(fragment)) as Hit;
    expect(receiver.hits.every((hit) => hit.contentType === 'application/json')).toBe(true);

    const slack = byPath('/services/').body as { text: string };
    expect(Object.keys(slack)).toEqual(['text']);
    expect(slack.text).toMatch(/^\*batch-refresh completed with failures: 97 successful, 3 failed, 0 skipped \(97\.00%\)\*\n/);
    // Slack reads <…> as a link or mention: escaped.
    expect(slack.text).toContain('Failed symbols (3): AAA, BBB, C&amp;&lt;D&gt;');
    expect(slack.text).toContain(`Report: ${REPORT_PATH}`);

    const discord = byPath('/api/webhooks/').body as { content: string; allowed_mentions: unknown };
    expect(discord.content).toMatch(/^\*\*batch-refresh completed with failures/);
    expect(discord.content).toContain('Failed symbols (3): AAA, BBB, C&<D>');
    expect(discord.content.endsWith(`Report: ${REPORT_PATH}`)).toBe(true);
    expect(discord.allowed_mentions).toEqual({ parse: [] });

    const json = byPath('/hook').body as Record<string, unknown>;
    expect(json).toEqual({ event: 'batch_refresh.run', report_path: REPORT_PATH, ...report() });

    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain('/services/');
  });

  it('cuts a long discord message to 2000 characters and keeps the report path', async () => {
    const receiver = await startReceiver();
    const { deps: d } = deps();
    const runReport = report({ status: 'aborted', exit_code: 3, error_message: 'x'.repeat(5000) });
    await sendNotifications(notifications([{ url: `${receiver.base}/d`, format: 'discord', on_error_only: true }]), runReport, REPORT_PATH, d);
    const content = ((receiver.hits[0] as Hit).body as { content: string }).content;
    expect(content.length).toBeLessThanOrEqual(DISCORD_MAX_CHARS);
    expect(content.length).toBeGreaterThan(DISCORD_MAX_CHARS - 50);
    expect(content).toContain('…');
    expect(content.endsWith(`\nReport: ${REPORT_PATH}`)).toBe(true);
  });

  it('reports a 500 as not delivered with the status, redacting a receiver answer that echoes the URL', async () => {
    const receiver = await startReceiver((req, res) => res.writeHead(500).end(`no such hook: http://${String(req.headers.host)}${String(req.url)} (${String(req.url)})`));
    const { deps: d, lines } = deps();
    const [result] = await sendNotifications(notifications([{ url: `${receiver.base}/hooks/${TOKEN}`, format: 'slack', on_error_only: false }]), report(), REPORT_PATH, d);
    expect(result).toEqual({
      channel: `webhook #1 (slack, ${receiver.base}/…)`,
      delivered: false,
      error: `HTTP 500: no such hook: ${receiver.base}/… (***)`,
    });
    expect(lines).toEqual([`WARN notification not delivered: webhook #1 (slack, ${receiver.base}/…): HTTP 500: no such hook: ${receiver.base}/… (***)`]);
  });

  it('logs an unreachable receiver without its token and resolves', async () => {
    const receiver = await startReceiver();
    const url = `${receiver.base}/hooks/${TOKEN}`;
    await new Promise<void>((resolve) => (servers.pop() as Server).close(() => resolve()));
    const { deps: d, lines } = deps();
    const [result] = await sendNotifications(notifications([{ url, format: 'json', on_error_only: false }]), report(), REPORT_PATH, d);
    expect(result).toMatchObject({ delivered: false });
    expect(result?.error).toMatch(/ECONNREFUSED/);
    expect(lines).toHaveLength(1);
    expect(JSON.stringify([result, lines])).not.toContain(TOKEN);
  });

  it('gives up on a receiver that never answers, within the timeout', async () => {
    const receiver = await startReceiver(() => undefined);
    const { deps: d } = deps(200);
    const started = performance.now();
    const [result] = await sendNotifications(notifications([{ url: `${receiver.base}/slow`, format: 'json', on_error_only: false }]), report(), REPORT_PATH, d);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(result).toMatchObject({ delivered: false });
    expect(result?.error).toMatch(/timeout/i);
  });

  it('redacts the URL from an error thrown by fetch itself', async () => {
    const url = `https://hooks.example.com/services/${TOKEN}`;
    const { deps: d, lines } = deps();
    const failingFetch: typeof fetch = async () => {
      throw new TypeError('fetch failed', { cause: new Error(`getaddrinfo ENOTFOUND while fetching ${url}`) });
    };
    const [result] = await sendNotifications(notifications([{ url, format: 'slack', on_error_only: false }]), report(), REPORT_PATH, { ...d, fetch: failingFetch });
    expect(result?.error).toBe('fetch failed: getaddrinfo ENOTFOUND while fetching https://hooks.example.com/…');
    expect(JSON.stringify([result, lines])).not.toContain(TOKEN);
  });

  it('sends only the webhooks that are due: on_error_only ones wait for an error run', async () => {
    const receiver = await startReceiver();
    const { deps: d } = deps();
    const hooks: Config['notifications']['webhooks'] = [
      { url: `${receiver.base}/always`, format: 'json', on_error_only: false },
      { url: `${receiver.base}/errors`, format: 'json', on_error_only: true },
    ];
    const cleanRun = report({ failed: 0, successful: 100, failed_symbols: [], error_types: {}, success_rate: '100.00%' });
    const results = await sendNotifications(notifications(hooks), cleanRun, null, d);
    expect(results.map((r) => r.channel)).toEqual([`webhook #1 (json, ${receiver.base}/…)`]);
    expect(receiver.hits.map((hit) => hit.path)).toEqual(['/always']);
    expect(((receiver.hits[0] as Hit).body as { report_path: unknown }).report_path).toBeNull();
  });
});
