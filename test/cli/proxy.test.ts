import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeBulkArchives } from '../../dev/stand-in/bulk-archives.js';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn, type StandInOptions } from '../../dev/stand-in/server.js';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { closedPortUrl } from '../faults/fault-server.js';
import { FIXTURES, runCli, writeTestConfig, type CliResult } from '../helpers/cli.js';
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js';
import { expectCleanEnd } from '../helpers/run-output.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/*
 * Runs behind a proxy (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, either case), through the built CLI: a
 * forwarding proxy on 127.0.0.1 counts what it carries, the stand-in counts what reaches it and
 * from which connection. https:// goes through CONNECT to a stand-in serving TLS with the test
 * certificate (test/fixtures/tls), which the CLI trusts through NODE_EXTRA_CA_CERTS.
 */

const tempDir = tempDirs();
const TLS = { key: readFileSync(path.join(FIXTURES, 'tls', 'stand-in.key.pem')), cert: readFileSync(path.join(FIXTURES, 'tls', 'stand-in.cert.pem')) };
const TRUST_TEST_CA = { NODE_EXTRA_CA_CERTS: path.join(FIXTURES, 'tls', 'stand-in.cert.pem') };
const NOW = { BATCH_REFRESH_NOW: '2026-11-25T07:00:00Z' };

const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((server) => server.close()));
});

async function standIn(options: Partial<StandInOptions> = {}, companies = 4): Promise<StandIn> {
  const server = await startStandIn({ data: syntheticDataset(syntheticCompanies(companies)), ...options });
  closing.push(server);
  return server;
}

async function proxy(credentials?: string, freeRequests = 0): Promise<ForwardProxy> {
  const server = await startForwardProxy(credentials === undefined ? {} : { credentials, freeRequests });
  closing.push(server);
  return server;
}

/** One run against `url` with `env`; its report and the log file's text. */
async function run(url: string, env: Record<string, string>, args: string[] = [], overrides: Record<string, unknown> = {}): Promise<{ result: CliResult; report: SummaryReport | null; log: string }> {
  const dir = tempDir('batch-refresh-proxy-');
  const config = writeTestConfig(dir, url, overrides);
  const result = await runCli(['--config', config, '--json', ...args], { env: { ...NOW, ...env } });
  const logs = path.join(dir, 'logs');
  const log = existsSync(logs)
    ? readdirSync(logs)
        .map((name) => readFileSync(path.join(logs, name), 'utf8'))
        .join('')
    : '';
  return { result, report: result.stdout.trim() === '' ? null : (JSON.parse(result.stdout) as SummaryReport), log };
}

const requestsOf = (report: SummaryReport | null): number => Object.values(report?.requests ?? {}).reduce((sum, count) => sum + count, 0);

describe('requests through a proxy', () => {
  it('sends every request of a run through HTTP_PROXY, with its credentials, and logs the proxy once without them', async () => {
    const target = await standIn();
    const forward = await proxy('night:s3cr%t');
    const proxyUrl = forward.url.replace('//', '//night:s3cr%25t@');
    const { result, report, log } = await run(target.url, { HTTP_PROXY: proxyUrl });
    expect(result.code, result.stderr).toBe(0);
    expect(report).toMatchObject({ successful: 4, failed: 0 });
    expect(requestsOf(report)).toBeGreaterThan(8);
    // Every request the report counts went through the proxy, and nothing reached the stand-in another way.
    expect(forward.requests).toHaveLength(requestsOf(report));
    expect(target.requests).toHaveLength(requestsOf(report));
    expect(target.requests.every((request) => forward.upstreamPorts.has(request.remotePort as number))).toBe(true);
    expect(forward.refused).toBe(0);
    const line = `proxy: ${forward.url.replace('//', '//***@')} (HTTP_PROXY) for http:// and https://`;
    expect(result.stderr.split(line), result.stderr).toHaveLength(2);
    expect(log.split(line)).toHaveLength(2);
    for (const text of [result.stderr, log, JSON.stringify(report)]) {
      expect(text).not.toContain('s3cr');
      expect(text).not.toContain('night:');
    }
  });

  it('goes direct to the hosts NO_PROXY names: the proxy carries nothing', async () => {
    const target = await standIn();
    const forward = await proxy();
    const { result, report } = await run(target.url, { HTTP_PROXY: forward.url, NO_PROXY: 'example.com, 127.0.0.1' });
    expect(result.code, result.stderr).toBe(0);
    expect(report).toMatchObject({ successful: 4, failed: 0 });
    expect(forward.requests).toEqual([]);
    expect(forward.tunnels).toEqual([]);
    expect(target.requests).toHaveLength(requestsOf(report));
    expect(result.stderr).toContain('direct to example.com, 127.0.0.1 (NO_PROXY)');
  });

  it('reads the lower-case variables too (http_proxy, no_proxy), before the upper-case ones', async () => {
    const target = await standIn();
    const forward = await proxy();
    const unused = await closedPortUrl();
    const through = await run(target.url, { http_proxy: forward.url, HTTP_PROXY: unused });
    expect(through.result.code, through.result.stderr).toBe(0);
    expect(forward.requests).toHaveLength(requestsOf(through.report));
    expect(through.result.stderr).toContain(`proxy: ${forward.url} (http_proxy) for http:// and https://`);

    forward.requests.splice(0);
    const direct = await run(target.url, { http_proxy: forward.url, no_proxy: '127.0.0.1', NO_PROXY: 'example.com' });
    expect(direct.result.code, direct.result.stderr).toBe(0);
    expect(direct.report).toMatchObject({ successful: 4, failed: 0 });
    expect(forward.requests).toEqual([]);
  });

  it('tunnels https:// through CONNECT (HTTPS_PROXY): every request of the run inside a tunnel', async () => {
    const target = await standIn({ tls: TLS });
    expect(target.url).toMatch(/^https:/);
    const forward = await proxy('night:secret');
    const port = new URL(target.url).port;
    const { result, report } = await run(target.url, { ...TRUST_TEST_CA, HTTPS_PROXY: forward.url.replace('//', '//night:secret@') });
    expect(result.code, result.stderr).toBe(0);
    expect(report).toMatchObject({ successful: 4, failed: 0 });
    expect(forward.requests).toEqual([]);
    expect(forward.tunnels.length).toBeGreaterThan(0);
    expect(new Set(forward.tunnels)).toEqual(new Set([`127.0.0.1:${port}`]));
    expect(target.requests).toHaveLength(requestsOf(report));
    expect(target.requests.every((request) => forward.upstreamPorts.has(request.remotePort as number))).toBe(true);
    expect(result.stderr).toContain(`proxy: ${forward.url.replace('//', '//***@')} (HTTPS_PROXY) for https://, http:// direct`);
  });

  it('streams a rebuild from the bulk archives through the proxy, resuming a dropped download', async () => {
    const data = syntheticDataset(syntheticCompanies(6));
    data.archives = await writeBulkArchives(data, tempDir('batch-refresh-proxy-archives-'), data.companyFacts.keys());
    const target = await standIn({ data });
    // The first download of companyfacts.zip drops after 2,000 bytes: resumed through the proxy.
    target.addFault('/companyfacts.zip', { kind: 'cut', afterBytes: 2000 });
    const forward = await proxy();
    const { result, report } = await run(target.url, { HTTP_PROXY: forward.url }, ['--bulk']);
    expect(result.code, result.stderr).toBe(0);
    expect(report).toMatchObject({ refresh_path: 'bulk', successful: 6, failed: 0 });
    expect(report?.bulk?.archives.map((archive) => [archive.error, archive.resumes])).toEqual([
      [null, 1],
      [null, 0],
    ]);
    expect(forward.requests.filter((url) => url.endsWith('.zip'))).toHaveLength(3);
    expect(forward.requests).toHaveLength(requestsOf(report));
  });
});

describe('a proxy that refuses', () => {
  it.for([
    ['http:// (absolute-URI request)', 'HTTP_PROXY', false],
    ['https:// (CONNECT)', 'HTTPS_PROXY', true],
  ] as const)('asking for credentials (407) over %s aborts the run cleanly, naming the proxy', async ([, variable, tls]) => {
    const target = await standIn(tls ? { tls: TLS } : {});
    const forward = await proxy('night:secret');
    const { result, report } = await run(target.url, { ...TRUST_TEST_CA, [variable]: forward.url });
    expectCleanEnd(result, expect, [3]);
    expect(forward.refused).toBe(1);
    expect(target.requests).toEqual([]);
    const message = `the proxy ${forward.url} (${variable}) asks for credentials (HTTP 407 Proxy Authentication Required) for 127.0.0.1:${new URL(target.url).port}: put them in ${variable} (http://user:password@host:port)`;
    expect(result.stderr).toContain(message);
    expect(report).toMatchObject({ status: 'aborted', total_stocks: 0 });
    expect(report?.error_message).toContain(message);
  });

  it('starting to ask for credentials mid-run (407) aborts the run at the stock it met, exit 3, the stocks done stored', async () => {
    const target = await standIn({}, 8);
    // The ticker file and the first stocks' requests pass; then the proxy wants credentials.
    const forward = await proxy('night:secret', 6);
    const { result, report } = await run(target.url, { HTTP_PROXY: forward.url }, [], { processing: { max_workers: 1 } });
    expectCleanEnd(result, expect, [3]);
    expect(forward.refused).toBe(1);
    expect(report?.status).toBe('aborted');
    expect(report?.successful).toBeGreaterThan(0);
    expect(report?.error_message).toContain(`the proxy ${forward.url} (HTTP_PROXY) asks for credentials (HTTP 407 Proxy Authentication Required)`);
    expect(report?.not_started).toBeGreaterThan(0);
  });

  it('with wrong credentials (407) says to check them, never showing them', async () => {
    const target = await standIn();
    const forward = await proxy('night:secret');
    const { result } = await run(target.url, { HTTP_PROXY: forward.url.replace('//', '//night:wrong@') });
    expectCleanEnd(result, expect, [3]);
    expect(result.stderr).toContain(`the proxy ${forward.url.replace('//', '//***@')} (HTTP_PROXY) asks for credentials (HTTP 407 Proxy Authentication Required)`);
    expect(result.stderr).toContain('check the user and password in HTTP_PROXY');
    expect(result.stderr).not.toContain('wrong');
  });

  it('a proxy that is not there (connection refused): a network error naming the proxy, exit 3', async () => {
    const target = await standIn();
    const gone = await closedPortUrl();
    const { result, report } = await run(target.url, { HTTP_PROXY: gone });
    expectCleanEnd(result, expect, [3]);
    expect(target.requests).toEqual([]);
    expect(result.stderr).toContain(`cannot reach the proxy ${gone} (HTTP_PROXY) for 127.0.0.1:${new URL(target.url).port}: ECONNREFUSED`);
    expect(report?.status).toBe('aborted');
  });

  it.for([
    ['socks5://127.0.0.1:1080', 'HTTPS_PROXY: only http:// and https:// proxies are supported (got socks5://127.0.0.1:1080)'],
    ['http://user:pw@[::1', 'HTTPS_PROXY: not a proxy URL (expected http://host:port, got "http://***@[::1")'],
  ] as const)('a proxy variable that is not an http(s) URL (%s) is a usage error, exit 2, before any request', async ([value, issue]) => {
    const target = await standIn();
    const { result } = await run(target.url, { HTTPS_PROXY: value });
    expectCleanEnd(result, expect, [2]);
    expect(result.stderr).toContain(issue);
    expect(result.stderr).not.toContain(':pw@');
    expect(target.requests).toEqual([]);
  });
});
