import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { runCli, startCli, tempDir, waitFor, writeTestConfig } from '../helpers/cli.js';

/*
 * The built CLI in continuous mode, against the stand-in, with `status` asked from another process
 * as a user would: during a cycle, and while the process sleeps between cycles (the case that
 * used to say "running: no", since the run lock was only held during a cycle).
 */

let standIn: StandIn;
let dir: string;

beforeEach(async () => {
  // 150 ms a request and one worker: the first cycle lasts long enough to be seen.
  standIn = await startStandIn({ data: syntheticDataset(syntheticCompanies(6)), latencyMs: 150 });
  dir = tempDir();
});

afterEach(async () => {
  await standIn.close();
});

interface Status {
  running: { pid: number; mode?: string } | null;
  last_run: { id: number; status: string } | null;
}

async function status(config: string): Promise<{ json: Status; text: string }> {
  const json = await runCli(['status', '--json', '--config', config]);
  const text = await runCli(['status', '--config', config]);
  return { json: JSON.parse(json.stdout) as Status, text: text.stdout };
}

describe('status of a continuous process', () => {
  it('shows it running in a cycle, then waiting between cycles, and not after SIGTERM', async () => {
    // Every stock is due again only after a day: after the first cycle the process sleeps an hour.
    const config = writeTestConfig(dir, standIn.url, {
      processing: { max_workers: 1 },
      database: { backup_before_run: false },
      continuous: { refresh_interval_hours: 24, idle_sleep_minutes: 60 },
    });
    const run = startCli(['--continuous', '--config', config]);
    await waitFor(() => standIn.requests.some((request) => request.path.includes('/companyfacts/')), 15_000, 'the first cycle to start');
    const during = await status(config);
    expect(during.json.running).toMatchObject({ pid: run.child.pid, mode: 'continuous' });
    expect(during.json.last_run?.status).toBe('running');
    expect(during.text).toMatch(new RegExp(`^running: yes, continuous mode, PID ${String(run.child.pid)} on .+; in a cycle \\(run #1, started `, 'm'));

    await waitFor(() => run.stderr().includes('refresh completed'), 20_000, 'the first cycle to end');
    const between = await status(config);
    expect(between.json.running).toMatchObject({ pid: run.child.pid, mode: 'continuous' });
    // The cycle's row is finished, not taken for an abandoned run.
    expect(between.json.last_run).toMatchObject({ id: 1, status: 'completed' });
    expect(between.text).toMatch(new RegExp(`^running: yes, continuous mode, PID ${String(run.child.pid)} on .+; waiting between cycles$`, 'm'));

    // A nightly run started meanwhile is refused: the continuous process holds the lock while it sleeps.
    const nightly = await runCli(['--config', config]);
    expect(nightly.code).toBe(75);
    expect(nightly.stderr).toContain(`PID ${String(run.child.pid)}`);

    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(143);
    expect(existsSync(path.join(dir, 'stocks.db.lock.json'))).toBe(false);
    const after = await status(config);
    expect(after.json.running).toBeNull();
    expect(after.text).toMatch(/^running: no$/m);
  }, 60_000);

  it('a second continuous process is refused at once (exit 75) while the first waits between cycles', async () => {
    const config = writeTestConfig(dir, standIn.url, { database: { backup_before_run: false }, continuous: { refresh_interval_hours: 24, idle_sleep_minutes: 60 } });
    const first = startCli(['--continuous', '--config', config]);
    await waitFor(() => first.stderr().includes('refresh completed'), 20_000, 'the first cycle to end');
    const second = await runCli(['--continuous', '--config', config]);
    expect(second.code).toBe(75);
    expect(second.stderr).toMatch(new RegExp(`PID ${String(first.child.pid)} on .*, started \\d{4}-`));
    first.child.kill('SIGTERM');
    expect((await first.done).code).toBe(143);
  }, 60_000);
});

describe('status: the schedule section sees the continuous unit', () => {
  /** HOME with the unit file `schedule install --continuous` writes, and a systemctl that answers `state`. */
  function fakeUserManager(state: string | null): Record<string, string> {
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, '.config', 'systemd', 'user'), { recursive: true });
    writeFileSync(path.join(home, '.config', 'systemd', 'user', 'batch-refresh-continuous.service'), '[Service]\n');
    const bin = path.join(dir, 'fake-bin');
    mkdirSync(bin);
    const calls = path.join(dir, 'systemctl-calls');
    // Answers like systemctl --user show … --value; exit 1 like a systemctl with no user manager to ask.
    writeFileSync(
      path.join(bin, 'systemctl'),
      `#!/bin/sh\necho "$*" >> '${calls}'\ncase "$*" in\n  *batch-refresh-continuous.service*) ${state === null ? 'exit 1' : `echo ${state}`} ;;\n  *) echo n/a ;;\nesac\n`,
    );
    chmodSync(path.join(bin, 'systemctl'), 0o755);
    return { HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}` };
  }

  it.each([
    ['active', 'active'],
    ['failed', 'failed'],
    [null, '(state unknown: the user manager did not answer)'],
  ])('installed, systemctl says %s', async (state, shown) => {
    const config = writeTestConfig(dir, standIn.url);
    const env = fakeUserManager(state);
    const json = JSON.parse((await runCli(['status', '--json', '--config', config], { env })).stdout) as { schedule: unknown };
    expect(json.schedule).toMatchObject({ source: 'systemd continuous service', continuous: { unit: 'batch-refresh-continuous.service', installed: true, active_state: state } });
    expect((await runCli(['status', '--config', config], { env })).stdout).toContain(`schedule: continuous, batch-refresh-continuous.service ${shown}\n`);
    expect(readFileSync(path.join(dir, 'systemctl-calls'), 'utf8')).toContain('--user show batch-refresh-continuous.service --property=ActiveState --value');
  });

  it('not installed: not asked about, and said so in the JSON', async () => {
    const config = writeTestConfig(dir, standIn.url);
    const json = JSON.parse((await runCli(['status', '--json', '--config', config], { env: { HOME: path.join(dir, 'empty-home') } })).stdout) as { schedule: unknown };
    expect(json.schedule).toMatchObject({ continuous: { unit: 'batch-refresh-continuous.service', installed: false, active_state: null } });
  });
});
