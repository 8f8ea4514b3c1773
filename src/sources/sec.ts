import { COMPANYFACTS, type CompanyFacts } from './schemas/companyfacts.js';
import { DAILY_INDEX, type IndexLine } from './schemas/daily-index.js';
import { SUBMISSIONS, SUBMISSIONS_PAGE, type FilingColumns, type Submissions } from './schemas/submissions.js';
import { TICKER_FILE, type TickerRow } from './schemas/ticker-file.js';
import { DEFAULT_COOLDOWN_MS, MAX_RETRY_AFTER_MS, SourceClient, type BodyResult, type SourceDeps, type Validators } from './source-client.js';

export interface SecSourceOptions {
  wwwUrl: string;
  dataUrl: string;
  userAgent: string;
  requestsPerSecond: number;
  timeoutMs: number;
  maxBytes: number;
  retries: number;
  retryBaseDelayMs: number;
  /** How long every request waits after SEC's rate block (rate_limiting.edgar_block_cooldown_seconds). @default 600 s */
  blockCooldownMs?: number;
  /** How long the circuit stays open (rate_limiting.circuit_cooldown_seconds). @default 600 s */
  circuitCooldownMs?: number;
}

/** SEC's 10-digit, zero-padded CIK as used in data.sec.gov paths. */
export function padCik(cik: number): string {
  return String(cik).padStart(10, '0');
}

const SUBMISSIONS_PAGE_NAME = /^CIK\d{10}-submissions-\d{3}\.json$/;
const ACCESSION = /^\d{10}-\d{2}-\d{6}$/;
const DOCUMENT_NAME = /^[\w][\w.-]{0,200}\.(?:htm|html|txt)$/i;

const FORBIDDEN_HINT = 'SEC refuses requests without a descriptive User-Agent ("Name email"); set sources.edgar.user_agent or SEC_USER_AGENT, and stay under 10 requests/s';

/**
 * SEC's rate-block page ("Your Request Originates from an Undeclared Automated Tool" / "Request Rate
 * Threshold Exceeded"): served with 403 to a host over 10 requests/s, lifted after 10 minutes under it.
 */
const BLOCK_PAGE = /Request Rate Threshold Exceeded|Undeclared Automated Tool|exceeded the (?:SEC's )?(?:maximum )?(?:request )?rate/i;

/** Whether a 403's page is SEC's rate block rather than a refusal. */
export function isSecBlockPage(page: string): boolean {
  return BLOCK_PAGE.test(page);
}

/** SEC EDGAR: the ticker file, companyfacts, submissions and the daily indexes, all under one rate ceiling, each decoded through its kind. */
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
        block: { cooldownMs: options.blockCooldownMs ?? DEFAULT_COOLDOWN_MS, isBlockPage: isSecBlockPage, refusedHint: FORBIDDEN_HINT, abortAfter: 3, label: 'SEC' },
        circuit: { cooldownMs: options.circuitCooldownMs ?? DEFAULT_COOLDOWN_MS, openOnForbidden: false, longestPauseMs: MAX_RETRY_AFTER_MS },
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

  /** A daily master index (`2026/QTR4/master.20261124.idx`), as its filing lines; `not_found` on weekends and holidays. */
  fetchDailyIndex(relativePath: string): Promise<BodyResult<IndexLine[]>> {
    // SEC's archives answer 403 for a file not published yet (today's index before it is out).
    return this.client.getBody(DAILY_INDEX, `${trimSlash(this.options.wwwUrl)}/Archives/edgar/daily-index/${relativePath}`, undefined, { forbiddenMeansAbsent: true });
  }

  /** A file under the web host, e.g. the bulk archives under `Archives/edgar/daily-index/`. */
  archiveUrl(relativePath: string): string {
    return `${trimSlash(this.options.wwwUrl)}/${relativePath}`;
  }

  tickerFileUrl(): string {
    return `${trimSlash(this.options.wwwUrl)}/files/company_tickers_exchange.json`;
  }

  fetchTickerFile(): Promise<BodyResult<TickerRow[]>> {
    return this.client.getBody(TICKER_FILE, this.tickerFileUrl());
  }

  companyFactsUrl(cik: number): string {
    return `${trimSlash(this.options.dataUrl)}/api/xbrl/companyfacts/CIK${padCik(cik)}.json`;
  }

  submissionsUrl(cik: number): string {
    return `${trimSlash(this.options.dataUrl)}/submissions/CIK${padCik(cik)}.json`;
  }

  fetchCompanyFacts(cik: number, validators?: Validators): Promise<BodyResult<CompanyFacts>> {
    return this.client.getBody(COMPANYFACTS, this.companyFactsUrl(cik), validators);
  }

  fetchSubmissions(cik: number, validators?: Validators): Promise<BodyResult<Submissions>> {
    return this.client.getBody(SUBMISSIONS, this.submissionsUrl(cik), validators);
  }

  /**
   * An older page named in `filings.files`. The name comes from SEC's data, so it must look like
   * SEC's own names before it goes into a URL.
   */
  fetchSubmissionsPage(name: string): Promise<BodyResult<FilingColumns>> {
    if (!SUBMISSIONS_PAGE_NAME.test(name)) return Promise.reject(new Error(`unexpected submissions page name ${JSON.stringify(name)}`));
    return this.client.getBody(SUBMISSIONS_PAGE, `${trimSlash(this.options.dataUrl)}/submissions/${name}`);
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
