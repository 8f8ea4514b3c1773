import type { Command } from 'commander';
import { EXIT_CODE_ROWS } from '../errors.js';

type Rows = readonly (readonly [string, string])[];

const EXAMPLES: Rows = [
  ['batch-refresh --dry-run', 'the plan and its estimated time'],
  ['batch-refresh --limit 20 --verbose', 'a small first run, a line per stock'],
  ['batch-refresh --symbols AAPL,MSFT --json', 'two stocks; the report on stdout'],
  ['batch-refresh status', 'last runs, data freshness, next run'],
  ['batch-refresh schedule install', 'a nightly systemd user timer'],
  ['batch-refresh help schedule', "a command's own options"],
];

/** README's "Exit codes" table, shorter. */
const EXIT_CODES: Rows = EXIT_CODE_ROWS.map(({ codes, meaning }) => [codes.join('/'), meaning]);

const ENVIRONMENT: Rows = [
  ['SEC_USER_AGENT', '"Name email" sent to SEC with every request; wins over sources.edgar.user_agent'],
  ['BATCH_REFRESH_CONFIG', 'the config file when --config is not given (default config/batch_config.json)'],
  ['BATCH_REFRESH_NOW', 'ISO 8601 time the run takes as its start (tests, re-running a missed night)'],
  ['NO_COLOR', 'set to anything: no colour and no progress bar (TERM=dumb does the same)'],
  ['HTTPS_PROXY, HTTP_PROXY', 'proxy for https:// and http:// requests (http://[user:password@]host:port; lower case too)'],
  ['NO_PROXY', 'hosts reached without the proxy (host, .domain, host:port, *)'],
];

/**
 * What `--help` prints after the options and commands: examples, exit codes, environment. Laid
 * out by commander's own Help, so it wraps at the terminal's width as the options above do.
 */
export function renderRootHelpAfter(context: { error: boolean; command: Command }): string {
  const helper = context.command.createHelp();
  const output = context.command.configureOutput();
  helper.prepareContext({ helpWidth: (context.error ? output.getErrHelpWidth?.() : output.getOutHelpWidth?.()) ?? 80 });
  const section = (title: string, rows: Rows): string => {
    const width = Math.max(...rows.map(([term]) => term.length));
    return [`${title}:`, ...rows.map(([term, description]) => helper.formatItem(term, width, description, helper))].join('\n');
  };
  return `\n${[section('Examples', EXAMPLES), section('Exit codes', EXIT_CODES), section('Environment', ENVIRONMENT)].join('\n\n')}`;
}

/** The one-line hint after a usage error, instead of the whole help (git, npm, gh). */
export function usageHint(command: string): string {
  return `Run '${command} --help' for usage.`;
}
