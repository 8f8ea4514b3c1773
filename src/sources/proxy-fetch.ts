/**
 * Requests through an HTTP proxy, as `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` ask (either case;
 * lower case first, as curl and undici read them). Node 20's global fetch ignores these variables,
 * so a host that reaches the internet only through a proxy needs undici's own fetch with an
 * `EnvHttpProxyAgent`: undici 7's fetch with undici 7's agent (the global fetch is Node's bundled
 * undici, whose dispatcher interface differs from the npm package's). Without a proxy variable the
 * global fetch is used, unchanged.
 */

import type { Dispatcher } from 'undici';
import { SourceError } from '../errors.js';
import type { FetchFn } from './http.js';

/** The proxies of a run, from the environment. */
export interface ProxySettings {
  /** For http:// URLs (`http_proxy`, `HTTP_PROXY`). */
  http: ProxyUrl | null;
  /** For https:// URLs (`https_proxy`, `HTTPS_PROXY`, else the http proxy, as undici does). */
  https: ProxyUrl | null;
  /** `no_proxy`/`NO_PROXY`: hosts reached directly (`host`, `.domain`, `*.domain`, `host:port`, `*`). */
  noProxy: string;
}

export interface ProxyUrl {
  url: URL;
  /** The variable it came from, for messages. */
  variable: string;
}

/** Connection errors that, with a proxy in the way, can only be the proxy's: the client connects to nothing else. */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** Reads the proxy variables; null when none is set, an issue naming the variable when one is not a proxy URL. */
export function readProxySettings(env: NodeJS.ProcessEnv): { ok: true; settings: ProxySettings | null } | { ok: false; issue: string } {
  const http = readVariable(env, 'http_proxy', 'HTTP_PROXY');
  const https = readVariable(env, 'https_proxy', 'HTTPS_PROXY');
  for (const read of [http, https]) if (read !== null && 'issue' in read) return { ok: false, issue: read.issue };
  const httpProxy = http as ProxyUrl | null;
  const httpsProxy = (https as ProxyUrl | null) ?? httpProxy;
  if (httpProxy === null && httpsProxy === null) return { ok: true, settings: null };
  return { ok: true, settings: { http: httpProxy, https: httpsProxy, noProxy: env[pickVariable(env, 'no_proxy', 'NO_PROXY')]?.trim() ?? '' } };
}

/** The lower-case variable when it is set and not empty, else the upper-case one. */
function pickVariable(env: NodeJS.ProcessEnv, lower: string, upper: string): string {
  return (env[lower]?.trim() ?? '') !== '' ? lower : upper;
}

function readVariable(env: NodeJS.ProcessEnv, lower: string, upper: string): ProxyUrl | { issue: string } | null {
  const variable = pickVariable(env, lower, upper);
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === '') return null;
  // curl takes `proxy.corp:3128` as http://proxy.corp:3128; so do we.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  if (!URL.canParse(text)) return { issue: `${variable}: not a proxy URL (expected http://host:port, got ${JSON.stringify(redactText(raw))})` };
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { issue: `${variable}: only http:// and https:// proxies are supported (got ${url.protocol}//${url.host})` };
  }
  return { url, variable };
}

/** A proxy URL fit for a log: `user:password@` becomes `***@`. */
export function redactProxyUrl(url: URL): string {
  const credentials = url.username !== '' || url.password !== '' ? '***@' : '';
  return `${url.protocol}//${credentials}${url.host}`;
}

/** `user:password@` cut from text that failed to parse as a URL. */
function redactText(raw: string): string {
  return raw.replace(/\/\/[^/@]*@/, '//***@').replace(/^[^/:@]*:[^/@]*@/, '***@');
}

/** One line for the log at the start of a run: which proxy for which scheme, and what goes direct. */
export function describeProxies(settings: ProxySettings): string {
  const named = (proxy: ProxyUrl): string => `${redactProxyUrl(proxy.url)} (${proxy.variable})`;
  const { http, https } = settings;
  const uses =
    http !== null && https === http
      ? `${named(http)} for http:// and https://`
      : [https === null ? 'https:// direct' : `${named(https)} for https://`, http === null ? 'http:// direct' : `${named(http)} for http://`].join(', ');
  const hosts = settings.noProxy.split(/[,\s]+/).filter(Boolean);
  const direct = hosts.length === 0 ? '' : `; direct to ${settings.noProxy === '*' ? 'every host' : hosts.join(', ')} (NO_PROXY)`;
  return `proxy: ${uses}${direct}`;
}

/** The proxy a request to `url` goes through, or null when it goes direct: undici's EnvHttpProxyAgent rules. */
export function proxyFor(settings: ProxySettings, url: string): ProxyUrl | null {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return null;
  }
  const proxy = target.protocol === 'https:' ? settings.https : target.protocol === 'http:' ? settings.http : null;
  if (proxy === null || bypassed(settings.noProxy, target)) return null;
  return proxy;
}

function bypassed(noProxy: string, target: URL): boolean {
  if (noProxy === '*') return true;
  const host = target.host.replace(/:\d*$/, '').toLowerCase();
  const port = target.port === '' ? (DEFAULT_PORTS[target.protocol] ?? '0') : target.port;
  return noProxy
    .split(/[,\s]/)
    .filter(Boolean)
    .some((entry) => {
      const parsed = /^(.+):(\d+)$/.exec(entry);
      const name = (parsed ? (parsed[1] as string) : entry).replace(/^\*?\./, '').toLowerCase();
      if (parsed && parsed[2] !== port) return false;
      return host === name || host.endsWith(`.${name}`);
    });
}

/**
 * A fetch that sends every request as `settings` say: plain http:// as an absolute-URI request to
 * the proxy (proxies such as Squid refuse CONNECT to port 80 by default), https:// through a
 * CONNECT tunnel. A proxy's refusal becomes a `SourceError` naming the proxy (never its credentials).
 */
export async function createProxiedFetch(settings: ProxySettings): Promise<FetchFn> {
  // Loaded only when a proxy is set: a run without one starts as fast as before.
  const undici = await import('undici');
  const dispatcher: Dispatcher = new undici.EnvHttpProxyAgent({
    httpProxy: settings.http?.url.href ?? '',
    httpsProxy: settings.https?.url.href ?? '',
    noProxy: settings.noProxy,
    proxyTunnel: false,
  });
  // undici 7's Response and Headers are not Node's bundled classes, but have the same interface.
  const proxiedFetch = undici.fetch as unknown as (input: string | URL | Request, init: Omit<RequestInit, 'dispatcher'> & { dispatcher: Dispatcher }) => Promise<Response>;
  return async (input: string | URL | Request, init?: RequestInit) => {
    try {
      return await proxiedFetch(input, { ...init, dispatcher });
    } catch (error) {
      throw explainProxyFailure(error, input instanceof Request ? input.url : String(input), settings) ?? error;
    }
  };
}

/** The failure of a request through a proxy that is the proxy's doing, as a `SourceError`; undefined for anything else. */
export function explainProxyFailure(error: unknown, url: string, settings: ProxySettings): SourceError | undefined {
  const proxy = proxyFor(settings, url);
  if (proxy === null) return undefined;
  const name = `the proxy ${redactProxyUrl(proxy.url)} (${proxy.variable})`;
  const host = new URL(url).host;
  for (const cause of causes(error)) {
    // Plain http: undici's HTTP/1 proxy wrapper; https: the answer to CONNECT.
    const status = /Proxy Authentication Required \((\d{3})\)/.exec(cause.message)?.[1] ?? /^Proxy response \((\d{3})\) !== 200/.exec(cause.message)?.[1];
    if (status !== undefined) return refusal(Number(status), name, host, proxy);
    if (cause.code !== undefined && CONNECT_CODES.has(cause.code)) return new SourceError('network', `cannot reach ${name} for ${host}: ${cause.code}`);
  }
  return undefined;
}

function refusal(status: number, name: string, host: string, proxy: ProxyUrl): SourceError {
  if (status === 407) {
    const hint = proxy.url.username === '' ? `put them in ${proxy.variable} (http://user:password@host:port)` : `check the user and password in ${proxy.variable}`;
    // Every request goes through the same proxy: the run aborts instead of failing stock after stock.
    return new SourceError('proxy', `${name} asks for credentials (HTTP 407 Proxy Authentication Required) for ${host}: ${hint}`, { status, fatal: true });
  }
  if (status >= 500) return new SourceError('http_5xx', `${name} could not open a tunnel to ${host}: HTTP ${status}`, { status });
  return new SourceError('proxy', `${name} refused a tunnel to ${host}: HTTP ${status}`, { status });
}

/** An error and its `cause` chain (fetch hides the reason there, sometimes two levels down). */
function causes(error: unknown): { message: string; code: string | undefined }[] {
  const chain: { message: string; code: string | undefined }[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const { message, code, cause } = current as { message?: unknown; code?: unknown; cause?: unknown };
    chain.push({ message: typeof message === 'string' ? message : '', code: typeof code === 'string' ? code : undefined });
    current = cause;
  }
  return chain;
}
