import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { sendNotifications, type NotifyDeps } from '../../src/notify/notify.js';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { sampleReport } from '../helpers/sample-report.js';

const PASSWORD = 'pa55-w0rd-not-for-logs';
const REPORT_PATH = '/var/lib/batch-refresh/reports/batch_summary_20261125_020003.json';

function report(overrides: Partial<SummaryReport> = {}): SummaryReport {
  return sampleReport({
    successful: 97,
    failed: 3,
    success_rate: '97.00%',
    failed_symbols: ['AAA', 'BBB', 'CCC'],
    error_types: { timeout: 2, http_5xx: 1 },
    unchanged: 10,
    requests: { sec: 300, yahoo: 5 },
    ...overrides,
  });
}
const clean = (): SummaryReport => report({ successful: 100, failed: 0, failed_symbols: [], error_types: {}, success_rate: '100.00%' });

function notifications(port: number, email: Partial<Config['notifications']['email']> = {}): Config['notifications'] {
  return {
    enabled: true,
    webhooks: [],
    email: {
      enabled: true,
      smtp_server: '127.0.0.1',
      smtp_port: port,
      from_address: 'batch@example.com',
      to_addresses: ['ops@example.com', 'dev@example.com'],
      on_error_only: false,
      use_tls: false,
      ...email,
    },
  };
}

function deps(env: NodeJS.ProcessEnv = {}, timeoutMs = 2000) {
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(`INFO ${m}`), warn: (m: string) => lines.push(`WARN ${m}`), error: (m: string) => lines.push(`ERROR ${m}`) };
  const d: NotifyDeps = { env, fetch, log, timeoutMs };
  return { deps: d, lines };
}

interface Received {
  from: string;
  to: string[];
  raw: string;
}
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A real SMTP server on 127.0.0.1 that keeps what it receives, and the credentials it was given. */
async function startSmtp(options: SMTPServerOptions = {}) {
  const received: Received[] = [];
  const auths: { username: string | undefined; password: string | null | undefined }[] = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, callback) {
      auths.push({ username: auth.username, password: auth.password });
      if (auth.username === 'batch' && auth.password === PASSWORD) callback(null, { user: 'batch' });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        received.push({ from, to: session.envelope.rcptTo.map((rcpt) => rcpt.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port, received, auths };
}

/** Subject and decoded text body of a raw single-part message (7bit, quoted-printable or base64). */
function parseMail(raw: string): { subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split).replace(/\r\n(?=[ \t])/g, '');
  const body = raw.slice(split + 4);
  const header = (name: string): string => new RegExp(`^${name}: (.*)$`, 'im').exec(headers)?.[1] ?? '';
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  const text =
    encoding === 'base64'
      ? Buffer.from(body, 'base64').toString('utf8')
      : encoding === 'quoted-printable'
        ? Buffer.from(
            body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            'latin1',
          ).toString('utf8')
        : body;
  return { subject: header('Subject'), text: text.replace(/\r\n/g, '\n') };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('email notifications through a real SMTP server', () => {
  it('delivers a message whose subject and body name the counts, the failed symbols and the report path', async () => {
    const smtp = await startSmtp();
    const { deps: d, lines } = deps();
    const results = await sendNotifications(notifications(smtp.port), report(), REPORT_PATH, d);
    expect(results).toEqual([{ channel: 'email', delivered: true }]);
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0] as Received;
    expect(mail.from).toBe('batch@example.com');
    expect(mail.to).toEqual(['ops@example.com', 'dev@example.com']);
    const { subject, text } = parseMail(mail.raw);
    expect(subject).toBe('batch-refresh completed with failures: 97 successful, 3 failed, 0 skipped (97.00%)');
    expect(text).toContain('Total stocks: 100');
    expect(text).toContain('Failed: 3');
    expect(text).toContain('Failed symbols (3): AAA, BBB, CCC');
    expect(text).toContain('Error types: timeout 2, http_5xx 1');
    expect(text).toContain(`Report: ${REPORT_PATH}`);
    expect(lines).toEqual(['INFO notification sent: email']);
  });

  it('authenticates with AUTH PLAIN using the password from the environment variable named in the config, and never logs it', async () => {
    const smtp = await startSmtp({ authMethods: ['PLAIN'], allowInsecureAuth: true, authOptional: false });
    const { deps: d, lines } = deps({ SMTP_PASSWORD: PASSWORD });
    const results = await sendNotifications(notifications(smtp.port, { username: 'batch', password_env: 'SMTP_PASSWORD' }), report(), REPORT_PATH, d);
    expect(results).toEqual([{ channel: 'email', delivered: true }]);
    expect(smtp.auths).toEqual([{ username: 'batch', password: PASSWORD }]);
    expect(smtp.received).toHaveLength(1);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('reports a refused login as not delivered, without the password in the result or the log', async () => {
    const smtp = await startSmtp({ authMethods: ['PLAIN'], allowInsecureAuth: true, authOptional: false });
    const { deps: d, lines } = deps({ SMTP_PASSWORD: `${PASSWORD}-wrong` });
    const [result] = await sendNotifications(notifications(smtp.port, { username: 'batch', password_env: 'SMTP_PASSWORD' }), report(), REPORT_PATH, d);
    expect(result).toMatchObject({ channel: 'email', delivered: false });
    expect(result?.error).toMatch(/535|auth|login/i);
    expect(smtp.received).toHaveLength(0);
    expect(lines.some((line) => line.startsWith('WARN notification not delivered: email'))).toBe(true);
    expect(JSON.stringify([result, lines])).not.toContain(PASSWORD);
  });

  it('does not send when the password variable is missing, and the log names the variable', async () => {
    const smtp = await startSmtp({ authMethods: ['PLAIN'], allowInsecureAuth: true, authOptional: false });
    const { deps: d, lines } = deps({});
    const [result] = await sendNotifications(notifications(smtp.port, { username: 'batch', password_env: 'SMTP_PASSWORD' }), report(), REPORT_PATH, d);
    expect(result).toEqual({ channel: 'email', delivered: false, error: 'environment variable SMTP_PASSWORD (notifications.email.password_env) is not set' });
    expect(lines).toEqual(['WARN notification not delivered: email: environment variable SMTP_PASSWORD (notifications.email.password_env) is not set']);
    expect(smtp.auths).toHaveLength(0);
  });

  it('requires STARTTLS when use_tls is set, so a server without it gets nothing', async () => {
    const smtp = await startSmtp();
    const { deps: d } = deps();
    const [result] = await sendNotifications(notifications(smtp.port, { use_tls: true }), report(), REPORT_PATH, d);
    expect(result).toMatchObject({ channel: 'email', delivered: false });
    expect(result?.error).toMatch(/STARTTLS/i);
    expect(smtp.received).toHaveLength(0);
  });

  it.each([
    ['failed stocks', report()],
    ['an abort', report({ failed: 0, failed_symbols: [], status: 'aborted', error_message: '50 failures in a row', exit_code: 3 })],
    ['an interruption', report({ failed: 0, failed_symbols: [], status: 'interrupted', exit_code: 130 })],
  ])('with on_error_only, sends for %s', async (_name, runReport) => {
    const smtp = await startSmtp();
    const { deps: d } = deps();
    const results = await sendNotifications(notifications(smtp.port, { on_error_only: true }), runReport, REPORT_PATH, d);
    expect(results).toEqual([{ channel: 'email', delivered: true }]);
    expect(smtp.received).toHaveLength(1);
    expect(parseMail((smtp.received[0] as Received).raw).text).toContain(`Status: ${runReport.status}`);
  });

  it('with on_error_only, sends nothing for a clean run', async () => {
    const smtp = await startSmtp();
    const { deps: d, lines } = deps();
    expect(await sendNotifications(notifications(smtp.port, { on_error_only: true }), clean(), REPORT_PATH, d)).toEqual([]);
    expect(smtp.received).toHaveLength(0);
    expect(lines).toEqual(['INFO notifications: 1 channel(s) notify on errors only; this run had none']);
  });

  it('sends nothing at all when notifications are disabled', async () => {
    const smtp = await startSmtp();
    const { deps: d, lines } = deps();
    expect(await sendNotifications({ ...notifications(smtp.port), enabled: false }, report(), REPORT_PATH, d)).toEqual([]);
    expect(smtp.received).toHaveLength(0);
    expect(lines).toEqual([]);
  });

  it('logs a server that is down and resolves quickly instead of throwing', async () => {
    const port = await closedPort();
    const { deps: d, lines } = deps();
    const started = performance.now();
    const [result] = await sendNotifications(notifications(port), report(), REPORT_PATH, d);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result).toMatchObject({ channel: 'email', delivered: false });
    expect(result?.error).toMatch(/ECONNREFUSED/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^WARN notification not delivered: email: .*ECONNREFUSED/);
  });

  it('gives up on a server that accepts the connection but never greets, within the configured timeout', async () => {
    const sockets: Socket[] = [];
    const silent: TcpServer = createTcpServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const { deps: d } = deps({}, 300);
    const started = performance.now();
    const [result] = await sendNotifications(notifications((silent.address() as AddressInfo).port), report(), REPORT_PATH, d);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(result).toMatchObject({ channel: 'email', delivered: false });
  });

  it('bounds the whole send even when the transport never settles', async () => {
    const { deps: d, lines } = deps({}, 50);
    const closed: boolean[] = [];
    const [result] = await sendNotifications(notifications(25), report(), REPORT_PATH, {
      ...d,
      createTransport: () => ({ sendMail: () => new Promise<never>(() => undefined), close: () => void closed.push(true) }),
    });
    expect(result).toEqual({ channel: 'email', delivered: false, error: 'no answer from the SMTP server within 150 ms' });
    expect(closed).toEqual([true]);
    expect(lines).toHaveLength(1);
  });

  it('turns a transport factory that throws into a failed result, never a rejection', async () => {
    const { deps: d } = deps();
    const results = await sendNotifications(notifications(25), report(), REPORT_PATH, {
      ...d,
      createTransport: () => {
        throw new Error('bad options');
      },
    });
    expect(results).toEqual([{ channel: 'email', delivered: false, error: 'bad options' }]);
  });

  it.each([
    ['smtp_server', { smtp_server: '' }],
    ['from_address', { from_address: '' }],
    ['to_addresses', { to_addresses: [] }],
  ])('names an empty %s instead of trying to send', async (key, email) => {
    const { deps: d } = deps();
    const [result] = await sendNotifications(notifications(25, email), report(), REPORT_PATH, d);
    expect(result).toEqual({ channel: 'email', delivered: false, error: `notifications.email.${key} is empty` });
  });
});
