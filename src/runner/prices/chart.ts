import { SourceError } from '../../errors.js';
import { extractChartQuote } from '../../extract/chart.js';
import type { PriceProvider, PriceProviderContext } from './provider.js';

/** Yahoo's chart endpoint: one symbol a request, with its price, 52-week range (from the meta) and split events. */
export function chartProvider(context: PriceProviderContext): PriceProvider {
  return {
    name: 'chart',
    carriesSplits: true,
    async quote(symbol) {
      try {
        const response = await context.yahoo.fetchChart(symbol);
        if (response.kind !== 'data') return { kind: 'missing', reason: 'yahoo: symbol not found (404)' };
        const chart = extractChartQuote(response.body);
        return chart.kind === 'quote' ? { kind: 'data', quote: chart.quote, closes: [] } : { kind: 'missing', reason: `yahoo: ${chart.reason}` };
      } catch (error) {
        if (error instanceof SourceError) {
          if (error.fatal) throw error;
          return { kind: 'failed', error };
        }
        return { kind: 'failed', error: new SourceError('unexpected_response', (error as Error).message) };
      }
    },
  };
}
