import { chmodSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { sendNotifications, type NotifyDeps } from '../../src/notify/notify.js';
import { sampleReport } from '../helpers/sample-report.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/*
 * Secrets from the environment or a file named in the config (notifications.email.password_env /
 * password_file, notifications.webhooks[].url / url_env / url_file): read, used, and never shown.
 */

const PASSWORD = 'file-pa55word-Zq81';
const TOKEN = 'hookT0kenFromFile77';
const REPORT_PATH = '/var/lib/batch-refresh/reports/batch_summary_20261125_020003.json';
const failedRun = sampleReport({ failed: 1, successful: 99, failed_symbols: ['AAA'], success_rate: '99.00%' });
const tempDir = tempDirs();

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function deps(env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(`INFO ${m}`), warn: (m: string) => lines.push(`WARN ${m}`), error: (m: string) => lines.push(`ERROR ${m}`) };
  const d: NotifyDeps = { env, fetch, log, timeoutMs: 2000 };
  return { deps: d, lines };
}

const NO_EMAIL: Config['notifications']['email'] = { enabled: false, smtp_server: '', smtp_port: 587, from_address: '', to_addresses: [], on_error_only: true, use_tls: true };

/** An SMTP server that accepts only user "batch" with PASSWORD. */
async function startSmtp() {
  const auths: (string | null | undefined)[] = [];
  let received = 0;
  const server = new SMTPServer({
    logger: false,
    authMethods: ['PLAIN'],
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, callback) {
      auths.push(auth.password);
      if (auth.username === 'batch' && auth.password === PASSWORD) callback(null, { user: 'batch' });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        received += 1;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as AddressInfo).port, auths, received: () => received };
}

function emailWith(port: number, password: Partial<Config['notifications']['email']>): Config['notifications'] {
  return {
    enabled: true,
    webhooks: [],
    email: {
      enabled: true,
      smtp_server: '127.0.0.1',
      smtp_port: port,
      from_address: 'batch@example.com',
      to_addresses: ['ops@example.com'],
      on_error_only: false,
      use_tls: false,
      username: 'batch',
      ...password,
    },
  };
}

async function startReceiver() {
  const paths: string[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      paths.push(request.url ?? '');
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

function secretFile(content: string, mode = 0o600): string {
  const file = path.join(tempDir('batch-refresh-secret-'), 'secret');
  writeFileSync(file, content);
  chmodSync(file, mode);
  return file;
}

describe('notifications.email.password_file', () => {
  it('logs in with the file content less its trailing newline, and never logs it', async () => {
    const smtp = await startSmtp();
    const file = secretFile(`${PASSWORD}\n`);
    const { deps: d, lines } = deps();
    const results = await sendNotifications(emailWith(smtp.port, { password_file: file }), failedRun, REPORT_PATH, d);
    expect(results).toEqual([{ channel: 'email', delivered: true }]);
    expect(smtp.auths).toEqual([PASSWORD]);
    expect(smtp.received()).toBe(1);
    expect(lines).toEqual(['INFO notification sent: email']);
  });

  it.each([
    ['a missing file', (dir: string) => path.join(dir, 'absent'), 'does not exist'],
    [
      'an empty file',
      (dir: string) => {
        writeFileSync(path.join(dir, 'empty'), '\n');
        return path.join(dir, 'empty');
      },
      'is empty',
    ],
    ['a folder', (dir: string) => dir, 'is a folder, not a file'],
  ])('with %s: not sent, the log names the path and the key, the run goes on', async (_name, make, why) => {
    const smtp = await startSmtp();
    const file = make(tempDir('batch-refresh-secret-'));
    const { deps: d, lines } = deps();
    const results = await sendNotifications(emailWith(smtp.port, { password_file: file }), failedRun, REPORT_PATH, d);
    const reason = `file ${file} (notifications.email.password_file) ${why}`;
    expect(results).toEqual([{ channel: 'email', delivered: false, error: reason }]);
    expect(lines).toEqual([`WARN notification not delivered: email: ${reason}`]);
    expect(smtp.auths).toEqual([]);
  });

  it('warns (naming path and mode, never the content) when others may read the file, and still uses it', async () => {
    const smtp = await startSmtp();
    const loose = secretFile(PASSWORD, 0o644);
    const { deps: d, lines } = deps();
    const results = await sendNotifications(emailWith(smtp.port, { password_file: loose }), failedRun, REPORT_PATH, d);
    expect(results).toEqual([{ channel: 'email', delivered: true }]);
    expect(lines).toContain(`WARN secret file ${loose} (notifications.email.password_file) is accessible to other users (mode 0644); chmod 600 it`);
    expect(lines.join('\n')).not.toContain(PASSWORD);

    const tight = secretFile(PASSWORD, 0o600);
    const quiet = deps();
    await sendNotifications(emailWith(smtp.port, { password_file: tight }), failedRun, REPORT_PATH, quiet.deps);
    expect(quiet.lines).toEqual(['INFO notification sent: email']);
  });
});

describe('notifications.webhooks[].url_env and url_file', () => {
  it('posts to the URL from the environment and from a file, logging scheme and host only', async () => {
    const receiver = await startReceiver();
    const file = secretFile(`${receiver.base}/file/${TOKEN}?sig=${TOKEN}\n`);
    const { deps: d, lines } = deps({ HOOK_URL: `${receiver.base}/env/${TOKEN}` });
    const results = await sendNotifications(
      {
        enabled: true,
        email: NO_EMAIL,
        webhooks: [
          { url_env: 'HOOK_URL', format: 'json', on_error_only: false },
          { url_file: file, format: 'slack', on_error_only: false },
        ],
      },
      failedRun,
      REPORT_PATH,
      d,
    );
    expect(results).toEqual([
      { channel: `webhook #1 (json, ${receiver.base}/…)`, delivered: true },
      { channel: `webhook #2 (slack, ${receiver.base}/…)`, delivered: true },
    ]);
    expect(receiver.paths.sort()).toEqual([`/env/${TOKEN}`, `/file/${TOKEN}?sig=${TOKEN}`]);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('does not post when the variable or file is missing or holds no URL, naming the variable or path only', async () => {
    const dir = tempDir('batch-refresh-secret-');
    const notAUrl = secretFile(`hooks.example.com/${TOKEN}`);
    const { deps: d, lines } = deps({ HOOK_GARBAGE: `not a url ${TOKEN}` });
    const results = await sendNotifications(
      {
        enabled: true,
        email: NO_EMAIL,
        webhooks: [
          { url_env: 'HOOK_UNSET', format: 'json', on_error_only: false },
          { url_file: path.join(dir, 'absent'), format: 'json', on_error_only: false },
          { url_env: 'HOOK_GARBAGE', format: 'discord', on_error_only: false },
          { url_file: notAUrl, format: 'slack', on_error_only: false },
        ],
      },
      failedRun,
      REPORT_PATH,
      d,
    );
    expect(results).toEqual([
      { channel: 'webhook #1 (json)', delivered: false, error: 'environment variable HOOK_UNSET (notifications.webhooks.0.url_env) is not set' },
      { channel: 'webhook #2 (json)', delivered: false, error: `file ${path.join(dir, 'absent')} (notifications.webhooks.1.url_file) does not exist` },
      { channel: 'webhook #3 (discord)', delivered: false, error: 'environment variable HOOK_GARBAGE (notifications.webhooks.2.url_env) does not hold an http(s) URL' },
      { channel: 'webhook #4 (slack)', delivered: false, error: `file ${notAUrl} (notifications.webhooks.3.url_file) does not hold an http(s) URL` },
    ]);
    expect(lines.filter((line) => line.startsWith('WARN notification not delivered: webhook #'))).toHaveLength(4);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});

describe('the config keys for secrets', () => {
  const parse = (notifications: unknown) => parseConfig({ notifications }, '/etc/batch-refresh/batch_config.json');

  it('resolves password_file and url_file against the config file folder, as every other path', () => {
    const result = parse({ email: { password_file: 'secrets/smtp' }, webhooks: [{ url_file: '../hook.url' }, { url_env: 'HOOK' }, { url: 'https://h.example/x' }] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.notifications.email.password_file).toBe('/etc/batch-refresh/secrets/smtp');
    expect(result.config.notifications.webhooks.map((w) => [w.url, w.url_env, w.url_file])).toEqual([
      [undefined, undefined, '/etc/hook.url'],
      [undefined, 'HOOK', undefined],
      ['https://h.example/x', undefined, undefined],
    ]);
  });

  it.each([
    [{ webhooks: [{ format: 'slack' }] }, 'notifications.webhooks.0.url: required: set exactly one of url, url_env and url_file'],
    [{ webhooks: [{ url: 'https://h.example/x', url_env: 'HOOK' }] }, 'notifications.webhooks.0.url_env: exactly one of url, url_env and url_file may be set, got url, url_env'],
    [{ webhooks: [{ url_env: 'HOOK', url_file: 'f' }] }, 'notifications.webhooks.0.url_file: exactly one of url, url_env and url_file may be set, got url_env, url_file'],
    [{ webhooks: [{ url_env: '' }] }, 'notifications.webhooks.0.url_env'],
    [{ email: { password_env: 'SMTP_PASSWORD', password_file: 'pw' } }, 'notifications.email.password_file: password_env is set too'],
  ])('rejects %j naming the key', (notifications, issue) => {
    const result = parse(notifications);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.some((line) => line.startsWith(issue))).toBe(true);
  });

  it('does not quote an invalid webhook URL (it may hold a token) in the config error', () => {
    const result = parse({ webhooks: [{ url: `hooks.example.com/services/${TOKEN}` }] });
    expect(result).toEqual({ ok: false, issues: [expect.stringMatching(/^notifications\.webhooks\.0\.url: /)] });
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it('does not warn about a missing password when it comes from a file', () => {
    const result = parse({ enabled: true, email: { enabled: true, username: 'batch', password_file: 'pw' } });
    expect(result.ok && result.warnings).toEqual([]);
  });
});
