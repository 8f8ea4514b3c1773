import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/errors.js';
import { httpGet } from '../../src/sources/http.js';
import { createProxiedFetch, describeProxies, proxyFor, readProxySettings, redactProxyUrl, type ProxySettings } from '../../src/sources/proxy-fetch.js';
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js';

/*
 * Reading the proxy variables, and requests through undici's EnvHttpProxyAgent in-process: which
 * go through the proxy (proxyFor must predict undici's choice, it names the proxy in errors), and
 * the guarantees of httpGet (timeout, body cap) through it.
 */

function settings(env: NodeJS.ProcessEnv): ProxySettings | null {
  const read = readProxySettings(env);
  if (!read.ok) throw new Error(read.issue);
  return read.settings;
}

describe('readProxySettings', () => {
  it.for([
    ['no variable', {}, null],
    ['only NO_PROXY', { NO_PROXY: 'example.com' }, null],
    ['empty variables', { HTTP_PROXY: '', https_proxy: ' ' }, null],
    ['HTTP_PROXY: both schemes, as undici does', { HTTP_PROXY: 'http://proxy.corp:3128' }, { http: 'http://proxy.corp:3128/ HTTP_PROXY', https: 'http://proxy.corp:3128/ HTTP_PROXY', noProxy: '' }],
    ['HTTPS_PROXY: https only', { HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: ' .corp ' }, { http: null, https: 'http://proxy.corp:3128/ HTTPS_PROXY', noProxy: '.corp' }],
    ['lower case first', { http_proxy: 'http://a:1', HTTP_PROXY: 'http://b:2', no_proxy: 'x', NO_PROXY: 'y' }, { http: 'http://a:1/ http_proxy', https: 'http://a:1/ http_proxy', noProxy: 'x' }],
    ['an empty lower-case one gives way', { https_proxy: '', HTTPS_PROXY: 'https://b:2' }, { http: null, https: 'https://b:2/ HTTPS_PROXY', noProxy: '' }],
    ['without a scheme, as curl reads it', { HTTPS_PROXY: 'proxy.corp:3128' }, { http: null, https: 'http://proxy.corp:3128/ HTTPS_PROXY', noProxy: '' }],
  ] as const)('%s', ([, env, expected]) => {
    const read = settings(env);
    const shown =
      read === null ? null : { http: read.http && `${read.http.url.href} ${read.http.variable}`, https: read.https && `${read.https.url.href} ${read.https.variable}`, noProxy: read.noProxy };
    expect(shown).toEqual(expected);
  });

  it.for([
    [{ HTTPS_PROXY: 'socks5://127.0.0.1:1080' }, 'HTTPS_PROXY: only http:// and https:// proxies are supported (got socks5://127.0.0.1:1080)'],
    [{ http_proxy: 'http://me:secret@[::1' }, 'http_proxy: not a proxy URL (expected http://host:port, got "http://***@[::1")'],
  ] as const)('refuses %j, naming the variable and never the password', ([env, issue]) => {
    expect(readProxySettings(env)).toEqual({ ok: false, issue });
  });

  it('describes the proxies for the log without credentials', () => {
    expect(describeProxies(settings({ HTTPS_PROXY: 'http://me:secret@proxy.corp:3128', NO_PROXY: 'localhost,.internal' }) as ProxySettings)).toBe(
      'proxy: http://***@proxy.corp:3128 (HTTPS_PROXY) for https://, http:// direct; direct to localhost, .internal (NO_PROXY)',
    );
    expect(describeProxies(settings({ http_proxy: 'proxy:8080', HTTPS_PROXY: 'http://other:8080', NO_PROXY: '*' }) as ProxySettings)).toBe(
      'proxy: http://other:8080 (HTTPS_PROXY) for https://, http://proxy:8080 (http_proxy) for http://; direct to every host (NO_PROXY)',
    );
    expect(redactProxyUrl(new URL('http://only-user@proxy:1'))).toBe('http://***@proxy:1');
  });
});

describe('through the proxy, in-process', () => {
  let target: Server;
  let targetPort: number;
  let forward: ForwardProxy;

  beforeAll(async () => {
    target = createServer((request, response) => {
      if (request.url === '/hang') return;
      if (request.url === '/huge') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(Buffer.alloc(256 * 1024, 0x20));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    targetPort = (target.address() as AddressInfo).port;
    forward = await startForwardProxy();
  });

  afterAll(async () => {
    target.closeAllConnections();
    await Promise.all([forward.close(), new Promise((resolve) => target.close(resolve))]);
  });

  // The rules are undici's; proxyFor mirrors them to name the proxy in errors. Each case is sent
  // for real and the proxy says whether it carried it.
  it.for([
    ['', '127.0.0.1', true],
    ['127.0.0.1', '127.0.0.1', false],
    ['localhost', '127.0.0.1', true],
    ['localhost', 'localhost', false],
    ['LOCALHOST', 'localhost', false],
    ['127.0.0.1:{port}', '127.0.0.1', false],
    ['127.0.0.1:1', '127.0.0.1', true],
    ['.0.0.1', '127.0.0.1', false],
    ['*.0.0.1', '127.0.0.1', false],
    ['example.com, *', '127.0.0.1', true],
    ['*', 'localhost', false],
    ['host', 'localhost', true],
  ] as const)('NO_PROXY=%j, a request to %s: through the proxy %s, as proxyFor predicts', async ([noProxy, host, proxied]) => {
    const read = settings({ HTTP_PROXY: forward.url, NO_PROXY: noProxy.replace('{port}', String(targetPort)) }) as ProxySettings;
    const url = `http://${host}:${targetPort}/ok`;
    const before = forward.requests.length;
    const response = await (await createProxiedFetch(read))(url);
    expect(await response.json()).toEqual({ ok: true });
    expect(forward.requests.length - before).toBe(proxied ? 1 : 0);
    expect(proxyFor(read, url) !== null).toBe(proxied);
  });

  it("keeps httpGet's timeout and body cap through the proxy", async () => {
    const proxiedFetch = await createProxiedFetch(settings({ HTTP_PROXY: forward.url }) as ProxySettings);
    const get = (path: string): Promise<unknown> =>
      httpGet(`http://127.0.0.1:${targetPort}${path}`, { headers: {}, timeoutMs: 300, maxBytes: 64 * 1024, fetch: proxiedFetch, nowMs: () => Date.now() });
    await expect(get('/ok')).resolves.toMatchObject({ status: 200 });
    await expect(get('/hang')).rejects.toMatchObject({ type: 'timeout' });
    await expect(get('/huge')).rejects.toMatchObject({ type: 'body_too_large' });
  });

  it('a proxy answering CONNECT with 502 is a transient http_5xx naming the proxy', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const proxiedFetch = await createProxiedFetch(settings({ HTTPS_PROXY: forward.url }) as ProxySettings);
    const error = await httpGet(`https://127.0.0.1:${port}/x`, { headers: {}, timeoutMs: 2000, maxBytes: 1024, fetch: proxiedFetch, nowMs: () => Date.now() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ type: 'http_5xx', transient: true, message: `the proxy ${forward.url} (HTTPS_PROXY) could not open a tunnel to 127.0.0.1:${port}: HTTP 502` });
  });
});
