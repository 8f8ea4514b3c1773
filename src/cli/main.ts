import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitError, EXIT } from './exit-error.js';
import { registerScheduleCommand } from './schedule-command.js';
import { registerStatusCommand } from './status-command.js';

const DEFAULT_CONFIG = 'config/batch_config.json';

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function parseLimit(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of stocks, 1 or more');
  return Number(value);
}

/** The command table; commands are loaded only when chosen. */
export function buildProgram(): Command {
  const program = new Command()
    .name('batch-refresh')
    .description('Refresh a local SQLite database of US stocks from SEC EDGAR and Yahoo Finance')
    .version(readVersion(), '--version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .addOption(new Option('--config <file>', 'JSON config file').env('BATCH_REFRESH_CONFIG').default(DEFAULT_CONFIG))
    .option('--dry-run', 'show what would be processed; fetch no per-stock data, write nothing')
    .option('--limit <n>', 'only the first N stocks (universe order, or stalest first with force_refresh false)', parseLimit)
    .option('--symbols <list>', 'only these symbols of the universe, comma-separated')
    .option('--verbose', 'per-stock lines and debug detail on the console')
    .option('--json', 'print the summary report (or, with --dry-run, the plan) as JSON on stdout')
    .option('--continuous', 'keep the data fresh: refresh what is due, sleep when nothing is, until SIGINT/SIGTERM')
    .option('--bulk', "rebuild fundamentals from SEC's nightly bulk archives (companyfacts.zip, submissions.zip) instead of per-company requests")
    // Options before a subcommand are the program's, after it the subcommand's (`status --json`).
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .action(async (options: { config: string; dryRun?: boolean; limit?: number; symbols?: string; verbose?: boolean; json?: boolean; continuous?: boolean; bulk?: boolean }) => {
      const { runCommand, parseSymbolsOption } = await import('./run-command.js');
      let symbols: string[] | undefined;
      try {
        symbols = options.symbols === undefined ? undefined : parseSymbolsOption(options.symbols);
      } catch (error) {
        throw new ExitError(EXIT.USAGE, (error as Error).message);
      }
      const { symbols: _raw, ...rest } = options;
      process.exitCode = await runCommand({ ...rest, ...(symbols ? { symbols } : {}) });
    });
  registerStatusCommand(program);
  registerScheduleCommand(program);
  return program;
}

/** The only place that ends the process with a code. */
export async function main(argv: string[] = process.argv): Promise<void> {
  // Files the job creates (database, backups, reports, logs) are not for other users of the machine.
  process.umask(0o027);
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with 0; any parse error is a usage error (2), as SPEC.md says.
      process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? EXIT.OK : EXIT.USAGE;
      return;
    }
    if (error instanceof ExitError) {
      if (error.message !== '') process.stderr.write(`batch-refresh: ${error.message}\n`);
      process.exitCode = error.code;
      return;
    }
    process.stderr.write(`batch-refresh: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 70;
  }
}
