import { trimSlash } from './sec.js';
import { CHART, type ChartBody } from './schemas/chart.js';
import { SPARK, type SparkBody } from './schemas/spark.js';
import { DEFAULT_COOLDOWN_MS, MAX_RETRY_AFTER_MS, SourceClient, type BodyResult, type SourceDeps } from './source-client.js';

export interface YahooSourceOptions {
  baseUrl: string;
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
 */
export class YahooSource {
  readonly client: SourceClient;

  constructor(
    private readonly options: YahooSourceOptions,
    deps: SourceDeps,
  ) {
    const spacingMs = Math.max(1, Math.round(options.delaySeconds * 1000));
    this.client = new SourceClient(
      {
        name: 'yahoo',
        limit: 1,
        intervalMs: spacingMs,
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes,
        headers: { Accept: 'application/json', 'User-Agent': 'Mozilla/5.0 (compatible; batch-refresh)' },
        retries: options.retries,
        retryBaseDelayMs: options.retryBaseDelayMs,
        // A 403 from Yahoo is a block: no per-symbol fan-out into it.
        circuit: { cooldownMs: options.circuitCooldownMs ?? DEFAULT_COOLDOWN_MS, openOnForbidden: true, longestPauseMs: MAX_RETRY_AFTER_MS },
      },
      deps,
    );
  }

  /**
   * One request gives the price, the 52-week range (meta) and every split since listing: the whole
   * history at a quarterly interval is a few KB. The symbol is encoded: it comes from files.
   */
  fetchChart(symbol: string): Promise<BodyResult<ChartBody>> {
    return this.client.getBody(CHART, `${trimSlash(this.options.baseUrl)}/v8/finance/chart/${encodeURIComponent(symbol)}?range=max&interval=3mo&events=split`);
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
    return this.client.getBody(SPARK, `${trimSlash(this.options.baseUrl)}/v8/finance/spark?symbols=${list}&range=${range}&interval=1d`, undefined, { cancel });
  }
}
