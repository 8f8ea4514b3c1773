import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BatchRefreshError, EXIT, exitCodeOfError, type ExitCode } from '../errors.js';
import { closestMatches, joinOr } from '../util/text.js';
import { readVersion } from '../util/version.js';
import { renderRootHelpAfter, usageHint } from './help-text.js';
import { registerScheduleCommand } from './schedule-command.js';
import { registerStatusCommand } from './status-command.js';

const DEFAULT_CONFIG = 'config/batch_config.json';

function parseLimit(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of stocks, 1 or more');
  return Number(value);
}

/**
 * `unknown command 'stauts'` with the nearest command, as commander says it for programs without
 * an action of their own (this one runs a refresh, so commander would say "too many arguments").
 */
function failUnknownCommand(program: Command, word: string): never {
  const suggestions = closestMatches(
    word,
    program.commands.map((command) => command.name()),
  );
  const hint = suggestions.length > 0 ? `\n(Did you mean ${joinOr(suggestions)}?)` : '';
  return program.error(`error: unknown command '${word}'${hint}`, { code: 'commander.unknownCommand', exitCode: EXIT.USAGE });
}

/** `batch-refresh help [command]`: the program's help, or a command's. */
function registerHelpCommand(program: Command): void {
  program
    .command('help')
    .description('show this help, or the help of a command')
    .argument('[command]', 'status, schedule or help')
    .action((name: string | undefined) => {
      if (name === undefined) program.help();
      const command = program.commands.find((candidate) => candidate.name() === name);
      if (command === undefined) failUnknownCommand(program, name);
      command.help();
    });
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
    .option('--strict', 'unknown config keys are errors (exit 2), not warnings')
    .addHelpText('after', renderRootHelpAfter)
    // Options before a subcommand are the program's, after it the subcommand's (`status --json`).
    .enablePositionalOptions()
    // A usage error gets its message and one line of hint, not a screenful of help.
    .showHelpAfterError(usageHint('batch-refresh'))
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .action(
      async (
        options: { config: string; dryRun?: boolean; limit?: number; symbols?: string; verbose?: boolean; json?: boolean; continuous?: boolean; bulk?: boolean; strict?: boolean },
        command: Command,
      ) => {
        const word = command.args[0];
        if (word !== undefined) failUnknownCommand(program, word);
        const [{ runCommand }, { parseSymbolsOption }] = await Promise.all([import('./run-command.js'), import('./run-setup.js')]);
        const symbols = options.symbols === undefined ? undefined : parseSymbolsOption(options.symbols);
        const { symbols: _raw, ...rest } = options;
        process.exitCode = await runCommand({ ...rest, ...(symbols ? { symbols } : {}) });
      },
    );
  registerStatusCommand(program);
  registerScheduleCommand(program);
  registerHelpCommand(program);
  for (const command of program.commands) command.showHelpAfterError(usageHint(`batch-refresh ${command.name()}`));
  // The refresh takes no arguments: a word is a mistyped command, which the action reports as one.
  // Set after the subcommands were made, which copy the program's settings (`status extra` stays an error).
  program.allowExcessArguments();
  return program;
}

/** The only place that ends the process with a code. */
export async function main(argv: string[] = process.argv): Promise<void> {
  // Files the job creates (database, backups, reports, logs) are not for other users of the machine.
  process.umask(0o027);
  // `batch-refresh --help | head`: a reader that stops early is no reason for a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    const code = exitCodeOf(error);
    process.exitCode = code;
    // commander has printed its own message (or the help, or the version).
    if (error instanceof CommanderError) return;
    if (!(error instanceof BatchRefreshError) || code === EXIT.INTERNAL) {
      process.stderr.write(`batch-refresh: unexpected error: ${(error as Error | null | undefined)?.stack ?? String(error)}\n`);
      return;
    }
    if (error.logged || error.message === '') return;
    // Under systemd each line carries the error priority, so `journalctl -p err` shows why the run stopped.
    const priority = process.env.JOURNAL_STREAM ? '<3>' : '';
    process.stderr.write(
      `${`batch-refresh: ${error.message}`
        .split('\n')
        .map((line) => `${priority}${line}`)
        .join('\n')}\n`,
    );
  }
}

/**
 * The exit code the process ends with (README.md, "Exit codes"): commander's, else the error's as
 * src/errors.ts maps it (`exitCodeOfError`).
 */
export function exitCodeOf(error: unknown): ExitCode {
  // --help, `help` and --version end here with 0; any parse error is a usage error (2).
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  return exitCodeOfError(error);
}
