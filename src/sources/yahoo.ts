import { trimSlash } from './sec.js';
import { SourceClient, type JsonResult, type SourceDeps } from './source-client.js';

export interface YahooSourceOptions {
  baseUrl: string;
  /** Minimum spacing of requests across all workers. */
  delaySeconds: number;
  timeoutMs: number;
  maxBytes: number;
  retries: number;
  retryBaseDelayMs: number;
}

/** Yahoo Finance chart endpoint: price and 52-week range from the chart's `meta`. */
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
      },
      deps,
    );
  }

  /**
   * One request gives the price, the 52-week range (meta) and every split since listing: the whole
   * history at a quarterly interval is a few KB. The symbol is encoded: it comes from files.
   */
  fetchChart(symbol: string): Promise<JsonResult> {
    return this.client.getJson(`${trimSlash(this.options.baseUrl)}/v8/finance/chart/${encodeURIComponent(symbol)}?range=max&interval=3mo&events=split`);
  }
}
