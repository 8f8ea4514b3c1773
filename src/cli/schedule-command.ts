import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Argument, type Command } from 'commander';
import { EXIT, ExitError, type ExitCode } from '../errors.js';
import type { ScheduleDeps } from '../schedule/deps.js';

export const SCHEDULE_ACTIONS = ['install', 'remove', 'show'] as const;

/** As main.ts: the config a run reads when neither --config nor BATCH_REFRESH_CONFIG names one. */
const DEFAULT_CONFIG = 'config/batch_config.json';
export type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];

/** Options of `batch-refresh schedule <action>`, as commander parses them. */
export interface ScheduleCommandOptions {
  /** The config file (`--config` before or after `schedule`, else BATCH_REFRESH_CONFIG or the default); its scheduling.* and data folders are used. */
  config: string;
  /** Use the user's crontab instead of systemd user units. @default false */
  cron?: boolean;
  /** Install batch-refresh-continuous.service instead of the nightly timer (systemd only). @default false */
  continuous?: boolean;
  /** HH:MM, 24-hour clock. @default the config's scheduling.run_time ("02:00") */
  time?: string;
  /** IANA time zone of `time`. @default the config's scheduling.timezone ("America/New_York") */
  timezone?: string;
}

/**
 * Adds `schedule install|remove|show` to the program. `--config` works before `schedule` (the
 * program's option, with BATCH_REFRESH_CONFIG and the default) or after it; the one after wins.
 */
export function registerScheduleCommand(program: Command): void {
  program
    .command('schedule')
    .description('install, remove or show the nightly run: a systemd user timer, or a crontab line with --cron')
    .addArgument(new Argument('<action>', 'install, remove or show').choices(SCHEDULE_ACTIONS))
    .option('--config <file>', 'JSON config file (as for a run)')
    .option('--cron', 'use your crontab instead of systemd user units')
    .option('--continuous', 'systemd: run `batch-refresh --continuous` as a service (Restart=always) instead of the nightly timer')
    .option('--time <HH:MM>', 'time of the nightly run (default: scheduling.run_time)')
    .option('--timezone <tz>', 'IANA time zone of --time (default: scheduling.timezone)')
    .action(async (action: ScheduleAction, options: Partial<ScheduleCommandOptions>, command: Command) => {
      const config = options.config ?? command.parent?.opts<{ config: string }>().config ?? DEFAULT_CONFIG;
      process.exitCode = await runScheduleCommand(action, { ...options, config });
    });
}

/** The real side effects: child processes (never a shell), the file system, this process's output. */
function createDefaultDeps(exec: ScheduleDeps['exec'], fs: ScheduleDeps['fs'], env: NodeJS.ProcessEnv): ScheduleDeps {
  // From src/cli or dist/cli alike, two levels up is the project folder.
  const root = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));
  return {
    exec,
    fs,
    homedir: os.homedir(),
    userName: env.USER ?? os.userInfo().username,
    systemTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    install: { nodePath: process.execPath, binPath: path.join(root, 'bin', 'batch-refresh'), installDir: root },
    out: (text) => process.stdout.write(text),
    log: (text) => process.stderr.write(`${text}\n`),
  };
}

/**
 * Runs `schedule <action>` and returns the exit code: EXIT.OK done, EXIT.FAILED a scheduler tool
 * failed (the message says which); throws ExitError(EXIT.USAGE) for a bad flag or config.
 * `overrides` replace the real side effects.
 */
export async function runScheduleCommand(action: string, options: ScheduleCommandOptions, overrides: Partial<ScheduleDeps> = {}, env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  if (!(SCHEDULE_ACTIONS as readonly string[]).includes(action)) {
    throw new ExitError(EXIT.USAGE, `schedule: unknown action ${JSON.stringify(action)}; expected install, remove or show`);
  }
  const choice = { cron: options.cron === true, continuous: options.continuous === true };
  if (choice.cron && choice.continuous) throw new ExitError(EXIT.USAGE, '--continuous: the continuous service is a systemd unit; it cannot be combined with --cron');
  const { canonicalTimeZone, parseRunTime, buildScheduleTarget } = await import('../schedule/schedule-target.js');
  const runTime = options.time === undefined ? undefined : parseRunTime(options.time);
  if (runTime === null) throw new ExitError(EXIT.USAGE, `--time: ${JSON.stringify(options.time)} is not a time of day; expected HH:MM on a 24-hour clock, e.g. 02:00`);
  const timeZone = options.timezone === undefined ? undefined : canonicalTimeZone(options.timezone);
  if (timeZone === null) throw new ExitError(EXIT.USAGE, `--timezone: ${JSON.stringify(options.timezone)} is not a known IANA time zone, e.g. America/New_York`);

  const { createExec, nodeScheduleFs } = await import('../schedule/deps.js');
  const deps: ScheduleDeps = { ...createDefaultDeps(createExec(env), nodeScheduleFs, env), ...overrides };
  const actions = await import('../schedule/schedule-actions.js');
  if (action === 'remove') return actions.removeSchedule(choice, deps);

  const { loadConfig, requireUserAgent } = await import('../config/load-config.js');
  const loaded = loadConfig(options.config);
  if (!loaded.ok) throw new ExitError(EXIT.USAGE, `invalid config ${options.config}:\n${loaded.issues.map((issue) => `  - ${issue}`).join('\n')}`);
  // The scheduled runs will read this config: a mistyped key is worth saying now.
  for (const warning of loaded.warnings) deps.log(`warning: ${warning}`);
  const built = buildScheduleTarget(loaded.config, { ...(runTime ? { runTime } : {}), ...(timeZone ? { timeZone } : {}) }, deps.install);
  if (!built.ok) throw new ExitError(EXIT.USAGE, built.issue);
  const { target } = built;
  if (!choice.cron) {
    const { findSystemdExecutableProblem } = await import('../schedule/quote.js');
    const problem = findSystemdExecutableProblem(target.nodePath);
    if (problem !== null) throw new ExitError(EXIT.USAGE, `the node binary ${JSON.stringify(target.nodePath)} ${problem}; move Node, or use --cron`);
  }
  if (action === 'show') return actions.showSchedule(target, choice, deps);

  const code = await actions.installSchedule(target, choice, deps);
  // The scheduled run does not inherit this shell's SEC_USER_AGENT.
  if (code === EXIT.OK && typeof requireUserAgent(loaded.config) !== 'string') {
    deps.log(
      `note: ${loaded.config.configPath} has no sources.edgar.user_agent, and the scheduled run does not see SEC_USER_AGENT from this shell: ` +
        (choice.cron ? 'set user_agent in the config.' : 'set user_agent in the config, or put SEC_USER_AGENT="Name email" in ~/.config/batch-refresh/env.'),
    );
  }
  return code;
}
