import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset, type SyntheticCompany } from '../../dev/stand-in/datasets.js';
import type { StatusReport } from '../../src/status/read-status.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { runCli, writeTestConfig } from '../helpers/cli.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/*
 * A whole run with every notification channel set up and failing in the ways that tempt a program
 * to print what it holds: a receiver that answers 500 and echoes the URL and token it was called
 * with, an SMTP server that refuses the login quoting the password, an SMTP server that is not
 * there. No secret may show up in anything the job prints or writes, nor in `status`.
 */

const SECRETS = {
  passwordEnv: 'smtpEnvSecret4711',
  passwordFile: 'smtpFileSecret0815',
  /** In the path of a `url` written in the config (the config itself holds it, as the user chose). */
  tokenConfig: 'tokInConfigPath123',
  /** In the query of a URL from `url_env`; this receiver answers 500 and echoes it. */
  tokenEnv: 'tokFromEnvQuery456',
  /** In the path and the query of a URL from `url_file`. */
  tokenFilePath: 'tokFromFilePath789',
  tokenFileQuery: 'tokFromFileQuery012',
};

const tempDir = tempDirs();
const companies = syntheticCompanies(3);
const failing = companies[1] as SyntheticCompany;
let standIn: StandIn;
let receiver: Server;
let receiverBase: string;
let hookPaths: string[];
let smtp: SMTPServer | null;
let smtpPort: number;
let logins: { user: string | undefined; pass: string | undefined }[];
let mails: number;

/** `acceptPassword`: the one password the server takes; any other is refused with a reply that quotes it. */
async function startSmtp(acceptPassword: string): Promise<void> {
  smtp = new SMTPServer({
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, callback) {
      logins.push({ user: auth.username, pass: auth.password ?? undefined });
      if (auth.password === acceptPassword) callback(null, { user: auth.username });
      else callback(new Error(`bad credentials for ${String(auth.username)}: "${String(auth.password)}" is not the password`));
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        mails += 1;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => (smtp as SMTPServer).listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
}

/** A port nothing listens on: a server is started and closed again. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeEach(async () => {
  standIn = await startStandIn({ data: syntheticDataset(companies) });
  standIn.addFault(`/submissions/CIK${String(failing.cik).padStart(10, '0')}`, { kind: 'status', status: 500 }, 1000);
  hookPaths = [];
  logins = [];
  mails = 0;
  smtp = null;
  receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const url = request.url ?? '';
      hookPaths.push(url);
      if (url.startsWith('/fail')) {
        // The worst receiver: its error page quotes the full URL, the path and the bare token.
        const token = new URL(url, 'http://x').searchParams.get('token');
        response.writeHead(500).end(`unknown hook http://${String(request.headers.host)}${url} (path ${url}, token ${String(token)})`);
      } else {
        response.writeHead(200).end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await standIn.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  if (smtp !== null) await new Promise<void>((resolve) => (smtp as SMTPServer).close(() => resolve()));
});

/** Every file under `root` with its content, as text (SQLite files too: the secrets are ASCII). */
function filesUnder(root: string, skip: (file: string) => boolean): { file: string; text: string }[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(root, entry.name);
    if (skip(full)) return [];
    return entry.isDirectory() ? filesUnder(full, skip) : [{ file: full, text: readFileSync(full, 'latin1') }];
  });
}

describe('secrets never leak from a run with failing notifications', () => {
  it.each([
    { name: 'SMTP password from the environment, the server refusing it and quoting it', password: 'env', smtpUp: true, smtpAccepts: false },
    { name: 'SMTP password from a file, the server taking it', password: 'file', smtpUp: true, smtpAccepts: true },
    { name: 'SMTP password from a file, the SMTP server unreachable', password: 'file', smtpUp: false, smtpAccepts: false },
  ] as const)('$name', async ({ password, smtpUp, smtpAccepts }) => {
    const dir = tempDir('batch-refresh-secrets-');
    mkdirSync(path.join(dir, 'secrets'), { mode: 0o700 });
    // Relative paths in the config: they resolve against the config's folder, not the CLI's cwd.
    writeFileSync(path.join(dir, 'secrets', 'smtp_password'), `${SECRETS.passwordFile}\n`, { mode: 0o600 });
    writeFileSync(path.join(dir, 'secrets', 'hook.url'), `${receiverBase}/file/${SECRETS.tokenFilePath}?sig=${SECRETS.tokenFileQuery}\n`, { mode: 0o600 });
    const expectedPassword = password === 'env' ? SECRETS.passwordEnv : SECRETS.passwordFile;
    if (smtpUp) await startSmtp(smtpAccepts ? expectedPassword : 'something else');
    else smtpPort = await deadPort();

    const config = writeTestConfig(dir, standIn.url, {
      error_handling: { min_success_rate: 0.5, max_retries_per_stock: 0, retry_failed_stocks: false },
      metrics: { textfile_path: 'metrics/batch_refresh.prom' },
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
          ...(password === 'env' ? { password_env: 'TEST_SMTP_PASSWORD' } : { password_file: 'secrets/smtp_password' }),
        },
        webhooks: [
          { url: `${receiverBase}/hooks/T000/${SECRETS.tokenConfig}`, format: 'slack', on_error_only: true },
          { url_env: 'TEST_HOOK_URL', format: 'json', on_error_only: false },
          { url_file: 'secrets/hook.url', format: 'discord', on_error_only: true },
          { url_env: 'TEST_HOOK_URL_UNSET', format: 'json', on_error_only: false },
        ],
      },
    });
    const env = { TEST_SMTP_PASSWORD: SECRETS.passwordEnv, TEST_HOOK_URL: `${receiverBase}/fail/env?token=${SECRETS.tokenEnv}` };

    const run = await runCli(['--config', config, '--json'], { env });
    const status = await runCli(['status', '--json', '--config', config], { env });

    // The run is unaffected by its notifications: 2 of 3 stocks is above the 0.5 asked for.
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ successful: 2, failed: 1, failed_symbols: [failing.symbol] });
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as StatusReport).last_run).toMatchObject({ status: 'completed', failed: 1 });

    // Every secret was really read and used, so its absence below means something.
    expect(hookPaths.sort()).toEqual([`/fail/env?token=${SECRETS.tokenEnv}`, `/file/${SECRETS.tokenFilePath}?sig=${SECRETS.tokenFileQuery}`, `/hooks/T000/${SECRETS.tokenConfig}`]);
    if (smtpUp) expect(logins).toEqual([{ user: 'batch', pass: expectedPassword }]);
    expect(mails).toBe(smtpAccepts ? 1 : 0);

    // The failures are logged, by channel and reason, without what was secret in them.
    const log = readFileSync(path.join(dir, 'logs', 'batch_refresh.log'), 'utf8');
    for (const text of [run.stderr, log]) {
      expect(text).toContain(`notification not delivered: webhook #2 (json, ${receiverBase}/…): HTTP 500: unknown hook ${receiverBase}/…`);
      expect(text).toContain('notification not delivered: webhook #4 (json): environment variable TEST_HOOK_URL_UNSET (notifications.webhooks.3.url_env) is not set');
      if (smtpAccepts) expect(text).toContain('notification sent: email');
      else expect(text).toMatch(smtpUp ? /notification not delivered: email: .*bad credentials for batch/ : /notification not delivered: email: .*ECONNREFUSED/);
    }

    const secretFolder = path.join(dir, 'secrets');
    const written = filesUnder(dir, (file) => file === config || file === secretFolder);
    // Database, report, log, metrics: what the job wrote is all there and all looked at.
    expect(written.map((entry) => path.relative(dir, entry.file))).toEqual(
      expect.arrayContaining(['stocks.db', 'logs/batch_refresh.log', 'metrics/batch_refresh.prom', expect.stringMatching(/^reports\/batch_summary_\d{8}_\d{6}\.json$/)]),
    );
    const outputs = [{ file: 'stdout (--json report)', text: run.stdout }, { file: 'stderr', text: run.stderr }, { file: 'status --json', text: status.stdout + status.stderr }, ...written];
    const leaks = outputs.flatMap(({ file, text }) =>
      Object.entries(SECRETS)
        .filter(([, secret]) => text.includes(secret))
        .map(([name]) => `${name} in ${file}`),
    );
    expect(leaks).toEqual([]);
  });
});
