import { z } from 'zod';
import { jsonKind } from '../response-kind.js';

/*
 * SEC's company_tickers_exchange.json: `fields` names the columns of each `data` row
 * (`["cik","name","ticker","exchange"]` in the 2023 and 2025 files). Columns are found by name, so
 * each row's cells are checked against the column they are in once `fields` is known.
 */

const cell = z.union([z.string(), z.number(), z.null()], { error: 'expected string, number or null' });

/** What each named column may hold: `exchange` is null in one year's file and "" in another's. */
const COLUMNS: Record<string, z.ZodType> = {
  cik: z.union([z.number(), z.string()], { error: 'expected number or string' }),
  ticker: z.string(),
  name: z.string().nullable(),
  exchange: z.string().nullable(),
};

const TICKER_FILE_SCHEMA = z.looseObject({ fields: z.array(z.string()), data: z.array(z.array(cell)) }).superRefine((file, context) => {
  if (!file.fields.includes('ticker') || !file.fields.includes('cik')) {
    context.addIssue({ code: 'custom', path: ['fields'], message: 'names no "ticker"/"cik" column' });
    return;
  }
  const checks = file.fields.map((field) => COLUMNS[field]);
  file.data.forEach((row, index) => {
    checks.forEach((check, column) => {
      const result = check?.safeParse(row[column]);
      if (result?.success === false) {
        const [issue] = result.error.issues;
        context.addIssue({ code: 'custom', path: ['data', index, column], message: `${String(file.fields[column])}: ${issue?.message.replace(/^Invalid input: /, '') ?? 'unexpected'}` });
      }
    });
  });
});

/** One row of the ticker file by column name; a column the file lacks is null. */
export interface TickerRow {
  cik: number | string;
  ticker: string;
  name: string | null;
  exchange: string | null;
}

/** SEC's company_tickers_exchange.json, as its rows in file order. */
export const TICKER_FILE = jsonKind('company_tickers_exchange.json', TICKER_FILE_SCHEMA, (file): TickerRow[] => {
  const at = (name: string): number => file.fields.indexOf(name);
  const [cikAt, tickerAt, nameAt, exchangeAt] = [at('cik'), at('ticker'), at('name'), at('exchange')];
  // The cells were checked against their columns above.
  return file.data.map((row) => ({
    cik: row[cikAt] as number | string,
    ticker: row[tickerAt] as string,
    name: nameAt < 0 ? null : (row[nameAt] as string | null),
    exchange: exchangeAt < 0 ? null : (row[exchangeAt] as string | null),
  }));
});
