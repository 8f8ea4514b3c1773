import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { runCli, tempDir, writeTestConfig } from '../helpers/cli.js';

let standIn: StandIn;
let smtp: SMTPServer;
let smtpPort: number;
let mails: { from: string; to: string[]; body: string; user?: string; pass?: string }[];
let hooks: { path: string; body: unknown }[];
let receiver: Server;
let receiverUrl: string;
let dir: string;

beforeEach(async () => {
  standIn = await startStandIn({ data: syntheticDataset(syntheticCompanies(6)) });
  mails = [];
  hooks = [];
  let auth: { user?: string; pass?: string } = {};
  smtp = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(credentials, _session, callback) {
      auth = { user: credentials.username, pass: credentials.password ?? undefined };
      callback(null, { user: credentials.username });
    },
    onData(stream, session, callback) {
      let body = '';
      stream.on('data', (chunk: Buffer) => (body += chunk.toString()));
      stream.on('end', () => {
        mails.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((r) => r.address), body, ...auth });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      hooks.push({ path: request.url ?? '', body: JSON.parse(body) });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  dir = tempDir();
});

afterEach(async () => {
  await standIn.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

function notifyConfig(extra: Record<string, unknown> = {}): string {
  return writeTestConfig(dir, standIn.url, {
    error_handling: { min_success_rate: 0.5 },
    notifications: {
      enabled: true,
      email: {
        enabled: true,
        smtp_server: '127.0.0.1',
        smtp_port: smtpPort,
        use_tls: false,
        from_address: 'batch@example.com',
        to_addresses: ['ops@example.com'],
        on_error_only: true,
        username: 'batch',
        password_env: 'TEST_SMTP_PASSWORD',
      },
      webhooks: [
        { url: `${receiverUrl}/hooks/T000/SECRET-TOKEN`, format: 'slack', on_error_only: true },
        { url: `${receiverUrl}/json`, format: 'json', on_error_only: false },
      ],
    },
    metrics: { textfile_path: 'metrics/batch_refresh.prom' },
    ...extra,
  });
}

describe('after a run: notifications and metrics', () => {
  it('mails and posts a run with failures, naming counts, failed symbols and the report; writes the metrics', async () => {
    const failing = syntheticCompanies(6)[2] as { cik: number; symbol: string };
    standIn.addFault(`/submissions/CIK${String(failing.cik).padStart(10, '0')}`, { kind: 'status', status: 500 }, 100);
    const result = await runCli(['--config', notifyConfig(), '--json'], { env: { TEST_SMTP_PASSWORD: 's3cret-pw' } });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as SummaryReport;
    expect(report).toMatchObject({ successful: 5, failed: 1 });

    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail).toMatchObject({ from: 'batch@example.com', to: ['ops@example.com'], user: 'batch', pass: 's3cret-pw' });
    expect(mail?.body).toContain(failing.symbol);
    expect(mail?.body).toMatch(/5 successful|successful: 5/i);
    expect(mail?.body).toContain('batch_summary_');

    expect(hooks.map((hook) => hook.path).sort()).toEqual(['/hooks/T000/SECRET-TOKEN', '/json']);
    const slack = hooks.find((hook) => hook.path.startsWith('/hooks'))?.body as { text: string };
    expect(slack.text).toContain(failing.symbol);
    const json = hooks.find((hook) => hook.path === '/json')?.body as { event: string; failed_symbols: string[]; report_path: string };
    expect(json).toMatchObject({ event: 'batch_refresh.run', failed_symbols: [failing.symbol] });
    expect(json.report_path).toMatch(/reports\/batch_summary_\d{8}_\d{6}\.json$/);

    const metricsFile = path.join(dir, 'metrics', 'batch_refresh.prom');
    const metrics = readFileSync(metricsFile, 'utf8');
    expect(metrics).toContain('# TYPE batch_refresh_last_run_timestamp_seconds gauge');
    expect(metrics).toMatch(/^batch_refresh_stocks\{outcome="successful"\} 5$/m);
    expect(metrics).toMatch(/^batch_refresh_stocks\{outcome="failed"\} 1$/m);
    expect(metrics).toMatch(/^batch_refresh_errors\{type="http_5xx"\} 1$/m);
    expect(metrics).toMatch(/^batch_refresh_requests\{source="sec"\} \d+$/m);
    expect(statSync(metricsFile).mode & 0o777).toBe(0o640);
    // Secrets stay out of the log and the report.
    const log = readFileSync(path.join(dir, 'logs', 'batch_refresh.log'), 'utf8');
    for (const text of [log, result.stdout, result.stderr]) {
      expect(text).not.toContain('s3cret-pw');
      expect(text).not.toContain('SECRET-TOKEN');
    }
  });

  it('on_error_only keeps a clean run quiet, except for channels that want every run', async () => {
    const result = await runCli(['--config', notifyConfig()], { env: { TEST_SMTP_PASSWORD: 'pw' } });
    expect(result.code, result.stderr).toBe(0);
    expect(mails).toHaveLength(0);
    expect(hooks.map((hook) => hook.path)).toEqual(['/json']);
  });

  it('an undeliverable notification is logged and never fails the run', async () => {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    const config = notifyConfig({ error_handling: { min_success_rate: 0.5 } });
    standIn.addFault('/submissions/', { kind: 'status', status: 500 }, 2);
    const raw = JSON.parse(readFileSync(config, 'utf8')) as { notifications: { webhooks: unknown[] }; error_handling: Record<string, unknown> };
    raw.notifications.webhooks = [{ url: 'http://127.0.0.1:9/hooks/SECRET-TOKEN', format: 'discord', on_error_only: false }];
    raw.error_handling.max_retries_per_stock = 0;
    raw.error_handling.retry_failed_stocks = false;
    (await import('node:fs')).writeFileSync(config, JSON.stringify(raw));
    const result = await runCli(['--config', config], { env: { TEST_SMTP_PASSWORD: 'pw' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/notification not delivered: email/);
    expect(result.stderr).toMatch(/notification not delivered: webhook/);
    expect(result.stderr).not.toContain('SECRET-TOKEN');
  });
});
