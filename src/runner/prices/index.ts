import { chartProvider } from './chart.js';
import type { PriceProviderFactory } from './provider.js';
import { sparkProvider } from './spark.js';

/**
 * The price providers, asked in this order for each symbol: spark answers 20 symbols a request;
 * the chart endpoint answers what spark does not have, and carries the split events.
 */
export const PRICE_PROVIDERS: readonly PriceProviderFactory[] = [sparkProvider, chartProvider];
