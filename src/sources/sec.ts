import { SourceClient, type JsonResult, type SourceDeps, type Validators } from './source-client.js';

export interface SecSourceOptions {
  wwwUrl: string;
  dataUrl: string;
  userAgent: string;
  requestsPerSecond: number;
  timeoutMs: number;
  maxBytes: number;
  retries: number;
  retryBaseDelayMs: number;
}

/** SEC's 10-digit, zero-padded CIK as used in data.sec.gov paths. */
export function padCik(cik: number): string {
  return String(cik).padStart(10, '0');
}

const SUBMISSIONS_PAGE = /^CIK\d{10}-submissions-\d{3}\.json$/;
const ACCESSION = /^\d{10}-\d{2}-\d{6}$/;
const DOCUMENT_NAME = /^[\w][\w.-]{0,200}\.(?:htm|html|txt)$/i;

const FORBIDDEN_HINT =
  'SEC refuses requests without a descriptive User-Agent ("Name email"); set sources.edgar.user_agent or SEC_USER_AGENT, and stay under 10 requests/s';

/** SEC EDGAR: the ticker file, companyfacts and submissions, all under one rate ceiling. */
export class SecSource {
  readonly client: SourceClient;

  constructor(
    private readonly options: SecSourceOptions,
    deps: SourceDeps,
  ) {
    // SEC's limit is per second; a whole number of requests per window keeps p-throttle exact.
    const perSecond = options.requestsPerSecond;
    const limit = Number.isInteger(perSecond) ? perSecond : 1;
    const intervalMs = Number.isInteger(perSecond) ? 1000 : Math.ceil(1000 / perSecond);
    this.client = new SourceClient(
      {
        name: 'sec',
        limit,
        intervalMs,
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes,
        headers: { 'User-Agent': options.userAgent, Accept: 'application/json', 'Accept-Encoding': 'gzip, deflate' },
        retries: options.retries,
        retryBaseDelayMs: options.retryBaseDelayMs,
        fatalOnForbidden: FORBIDDEN_HINT,
      },
      deps,
    );
  }

  /** A filing's primary document (HTML), under the same ceiling; `not_found` for a 404. */
  async fetchFilingDocument(cik: number, accession: string, document: string): Promise<{ kind: 'data'; text: string } | { kind: 'not_found' }> {
    const url = filingDocumentUrl(this.options.wwwUrl, cik, accession, document);
    if (url === null) throw new Error(`unexpected filing document name ${JSON.stringify(`${accession}/${document}`)}`);
    const response = await this.client.get(url);
    return response.status === 404 ? { kind: 'not_found' } : { kind: 'data', text: response.body.toString('utf8') };
  }

  /** A daily master index (`2026/QTR4/master.20261124.idx`); `not_found` on weekends and holidays. */
  async fetchDailyIndex(relativePath: string): Promise<{ kind: 'data'; text: string } | { kind: 'not_found' }> {
    const response = await this.client.get(`${trimSlash(this.options.wwwUrl)}/Archives/edgar/daily-index/${relativePath}`);
    return response.status === 404 ? { kind: 'not_found' } : { kind: 'data', text: response.body.toString('latin1') };
  }

  /** A file under the web host, e.g. the bulk archives under `Archives/edgar/daily-index/`. */
  archiveUrl(relativePath: string): string {
    return `${trimSlash(this.options.wwwUrl)}/${relativePath}`;
  }

  tickerFileUrl(): string {
    return `${trimSlash(this.options.wwwUrl)}/files/company_tickers_exchange.json`;
  }

  fetchTickerFile(): Promise<JsonResult> {
    return this.client.getJson(this.tickerFileUrl());
  }

  companyFactsUrl(cik: number): string {
    return `${trimSlash(this.options.dataUrl)}/api/xbrl/companyfacts/CIK${padCik(cik)}.json`;
  }

  submissionsUrl(cik: number): string {
    return `${trimSlash(this.options.dataUrl)}/submissions/CIK${padCik(cik)}.json`;
  }

  fetchCompanyFacts(cik: number, validators?: Validators): Promise<JsonResult> {
    return this.client.getJson(this.companyFactsUrl(cik), validators);
  }

  fetchSubmissions(cik: number, validators?: Validators): Promise<JsonResult> {
    return this.client.getJson(this.submissionsUrl(cik), validators);
  }

  /**
   * An older page named in `filings.files`. The name comes from SEC's data, so it must look like
   * SEC's own names before it goes into a URL.
   */
  fetchSubmissionsPage(name: string): Promise<JsonResult> {
    if (!SUBMISSIONS_PAGE.test(name)) return Promise.reject(new Error(`unexpected submissions page name ${JSON.stringify(name)}`));
    return this.client.getJson(`${trimSlash(this.options.dataUrl)}/submissions/${name}`);
  }
}

/** The archive URL of a filing's primary document, or null when SEC's names do not look like SEC's. */
export function filingDocumentUrl(wwwUrl: string, cik: number, accession: string, document: string): string | null {
  if (!ACCESSION.test(accession) || !DOCUMENT_NAME.test(document)) return null;
  return `${trimSlash(wwwUrl)}/Archives/edgar/data/${cik}/${accession.replace(/-/g, '')}/${document}`;
}

export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
