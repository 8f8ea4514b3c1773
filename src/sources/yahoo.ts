import { DEFAULT_YAHOO_USER_AGENT } from '../config/schema.js';
import { SourceError } from '../errors.js';
import { trimSlash } from './sec.js';
import { CHART, type ChartBody } from './schemas/chart.js';
import { SPARK, type SparkBody } from './schemas/spark.js';
import { DEFAULT_COOLDOWN_MS, MAX_RETRY_AFTER_MS, SourceClient, type BodyResult, type SourceDeps } from './source-client.js';

export interface YahooSourceOptions {
  /** Yahoo's host, or its hosts in the order they are asked: one that refuses hands its requests to the next. */
  baseUrl: string | readonly string[];
  /**
   * Sent with every request.
   * @default DEFAULT_YAHOO_USER_AGENT
   */
  userAgent?: string;
  /** Minimum spacing of requests across all workers. */
  delaySeconds: number;
  timeoutMs: number;
  maxBytes: number;
  retries: number;
  retryBaseDelayMs: number;
  /** How long the circuit stays open (rate_limiting.circuit_cooldown_seconds). @default 600 s */
  circuitCooldownMs?: number;
  /**
   * Most symbols in one spark request: Yahoo answers more than 20 with HTTP 400.
   * @default 20
   */
  symbolsPerRequest?: number;
}

/** Yahoo's own ceiling on symbols per spark request. */
export const SPARK_MAX_SYMBOLS = 20;

/**
 * Yahoo Finance: the chart endpoint (price, 52-week range and splits of one symbol) and the spark
 * endpoint (daily closes of up to 20 symbols), sharing one rate ceiling.
 *
 * Yahoo serves the same API from several hosts (query1, query2) and refuses clients by host now and
 * then (403, 429 storms, outages). With more than one host configured, a request the current host
 * refuses after the client's retries is asked again of the next host, and every later request goes
 * there too (requests already queued with the old host's URL still go to it once). The last host's
 * refusal moves on to the first again; a request is asked of each host at most once.
 */
export class YahooSource {
  readonly client: SourceClient;
  /** Answers (data, 404 or 304) each host gave, by host, in the configured order: the report's `yahoo_hosts`. */
  readonly served: Record<string, number>;
  private readonly hosts: string[];
  /** The host new requests go to. */
  private current = 0;

  constructor(
    private readonly options: YahooSourceOptions,
    private readonly deps: SourceDeps,
  ) {
    this.hosts = [...new Set((typeof options.baseUrl === 'string' ? [options.baseUrl] : options.baseUrl).map(trimSlash))];
    if (this.hosts.length === 0) throw new RangeError('yahoo needs at least one base URL');
    this.served = Object.fromEntries(this.hosts.map((host) => [host, 0]));
    const spacingMs = Math.max(1, Math.round(options.delaySeconds * 1000));
    this.client = new SourceClient(
      {
        name: 'yahoo',
        limit: 1,
        intervalMs: spacingMs,
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes,
        headers: { Accept: 'application/json', 'User-Agent': options.userAgent ?? DEFAULT_YAHOO_USER_AGENT },
        retries: options.retries,
        retryBaseDelayMs: options.retryBaseDelayMs,
        // A 403 from Yahoo is a block: no per-symbol fan-out into it.
        circuit: { cooldownMs: options.circuitCooldownMs ?? DEFAULT_COOLDOWN_MS, openOnForbidden: true, longestPauseMs: MAX_RETRY_AFTER_MS, hosts: this.hosts.length },
      },
      deps,
    );
  }

  /**
   * One request gives the price, the 52-week range (meta) and every split since listing: the whole
   * history at a quarterly interval is a few KB. The symbol is encoded: it comes from files.
   */
  fetchChart(symbol: string): Promise<BodyResult<ChartBody>> {
    return this.onHosts((host) => this.client.getBody(CHART, `${host}/v8/finance/chart/${encodeURIComponent(symbol)}?range=max&interval=3mo&events=split`));
  }

  /**
   * One batched price request; throws RangeError when given more than `symbolsPerRequest` symbols
   * or none, before anything is sent (a 400 would cost a request slot and say less). Symbols are
   * URL-encoded (`^GSPC`, `BRK-B` come from files) and joined with commas. A symbol Yahoo does not
   * know is not an error: it comes back with no closes (see extractSpark).
   */
  fetchSpark(symbols: readonly string[], range: '5d' | '1mo' | '1y', cancel?: AbortSignal): Promise<BodyResult<SparkBody>> {
    const most = this.options.symbolsPerRequest ?? SPARK_MAX_SYMBOLS;
    if (symbols.length === 0 || symbols.length > most) {
      return Promise.reject(new RangeError(`yahoo spark takes 1 to ${most} symbols a request, got ${symbols.length}`));
    }
    const list = symbols.map((symbol) => encodeURIComponent(symbol)).join(',');
    return this.onHosts((host) => this.client.getBody(SPARK, `${host}/v8/finance/spark?symbols=${list}&range=${range}&interval=1d`, undefined, { cancel }), cancel);
  }

  /** Asks the current host; on its refusal the next, which new requests then go to as well. */
  private async onHosts<T>(request: (host: string) => Promise<T>, cancel?: AbortSignal): Promise<T> {
    let index = this.current;
    for (let asked = 1; ; asked += 1) {
      const host = this.hosts[index] as string;
      try {
        const answer = await request(host);
        this.served[host] = (this.served[host] ?? 0) + 1;
        return answer;
      } catch (error) {
        if (asked >= this.hosts.length || !isRefusal(error) || cancel?.aborted === true) throw error;
        const next = (index + 1) % this.hosts.length;
        // Requests in flight together all meet the refusal: only the first moves the others on.
        if (this.current === index) {
          this.current = next;
          this.deps.log('warn', `yahoo: ${host} refused (${error.message}); asking ${this.hosts[next] as string} from now on`);
        }
        index = next;
      }
    }
  }
}

/**
 * A host's refusal, after the client's retries: 403, 429, 5xx, or no (timely) connection. Not a
 * 404 or 400 (about the request, the next host would say the same), a malformed body, a fatal
 * error (a proxy asking for credentials) or the run stopping (no status: a pause cut short).
 */
function isRefusal(error: unknown): error is SourceError {
  if (!(error instanceof SourceError) || error.fatal) return false;
  const { status } = error.details;
  if (status === 403 || status === 429 || (status !== undefined && status >= 500)) return true;
  return error.type === 'network' || error.type === 'timeout';
}
