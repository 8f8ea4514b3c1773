import type { ResolvedConfig } from '../config/load-config.js';
import { SecSource } from '../sources/sec.js';
import type { SourceDeps } from '../sources/source-client.js';
import { YahooSource } from '../sources/yahoo.js';
import type { JobDeps, JobOptions } from './job.js';

/** The night's sources: SEC (unless neither its data nor its universe is wanted) and Yahoo (unless disabled). */
export async function openSources(options: JobOptions, deps: JobDeps): Promise<{ sec: SecSource | null; yahoo: YahooSource | null }> {
  const sourceDeps: SourceDeps = {
    fetch: deps.fetch,
    now: deps.now,
    sleep: deps.sleep,
    log: (level, message) => (level === 'warn' ? deps.log.warn(message) : deps.log.debug(message)),
  };
  // Node compiles its fetch implementation on first use (tens of ms). Doing that before the first
  // rate-limited request keeps that request's real send time inside the slot the throttle gave it.
  await deps.fetch('data:application/json,{}').catch(() => undefined);
  return { sec: createSec(options, sourceDeps), yahoo: options.config.sources.yahoo.enabled ? createYahoo(options.config, sourceDeps) : null };
}

function createSec(options: JobOptions, deps: SourceDeps): SecSource | null {
  const { config } = options;
  if (!config.sources.edgar.enabled && config.universe.source !== 'sec') return null;
  const edgar = config.sources.edgar;
  return new SecSource(
    {
      wwwUrl: edgar.www_url,
      dataUrl: edgar.data_url,
      userAgent: options.userAgent,
      requestsPerSecond: config.rate_limiting.edgar_requests_per_second,
      blockCooldownMs: config.rate_limiting.edgar_block_cooldown_seconds * 1000,
      ...requestLimits(config, edgar),
    },
    deps,
  );
}

/** Timeout, body cap and retries of one source's requests, from the config. */
function requestLimits(config: ResolvedConfig, source: { timeout_seconds: number; max_body_mb: number }) {
  return {
    timeoutMs: source.timeout_seconds * 1000,
    maxBytes: source.max_body_mb * 1048576,
    retries: config.error_handling.max_retries_per_stock,
    retryBaseDelayMs: config.error_handling.retry_base_delay_seconds * 1000,
    circuitCooldownMs: config.rate_limiting.circuit_cooldown_seconds * 1000,
  };
}

function createYahoo(config: ResolvedConfig, deps: SourceDeps): YahooSource {
  const yahoo = config.sources.yahoo;
  return new YahooSource(
    {
      baseUrl: yahoo.base_url,
      userAgent: yahoo.user_agent,
      delaySeconds: config.rate_limiting.yfinance_delay_seconds,
      symbolsPerRequest: yahoo.symbols_per_request,
      ...requestLimits(config, yahoo),
    },
    deps,
  );
}
