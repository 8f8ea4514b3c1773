import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

/*
 * The schedule tests run the real scheduler tools (systemd-analyze, systemd-nspawn, cron,
 * shellcheck). Where one is missing, a developer's machine skips those tests and says which tool;
 * CI installs them all (.ci/install-ci-deps), so there a missing tool is a failure, not a quiet skip.
 */

/** Whether this is a CI run (`.ci/run` exports CI=1; CI services set CI=true). */
export const UNDER_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';

/** Null when `program` runs with `args` and exits 0, else why not ("systemd-nspawn is not installed"). */
export function missingProgram(program: string, args: string[] = ['--version'], packageName = program): string | null {
  const result = spawnSync(program, args, { encoding: 'utf8', env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
  if (result.error !== undefined) return `${program} is not installed (Debian package ${packageName})`;
  if (result.status !== 0) return `${program} ${args.join(' ')} failed: ${(result.stderr || result.stdout).trim().split('\n')[0] ?? ''}`;
  return null;
}

/** The first of several reasons, or null when there is none. */
export function firstMissing(...reasons: (string | null)[]): string | null {
  return reasons.find((reason) => reason !== null) ?? null;
}

/**
 * `describe` when nothing is missing. Otherwise: on a developer's machine the block is skipped with
 * the reason in its title; under CI it is replaced by one test that fails naming the reason.
 */
export function describeWith(title: string, missing: string | null, body: () => void): void {
  if (missing === null) {
    describe(title, body);
  } else if (UNDER_CI) {
    describe(title, () => {
      it(`has what it needs under CI (${missing})`, () => {
        throw new Error(`${missing}: CI must run this test (.ci/install-ci-deps installs the tools); it would be skipped on a developer's machine`);
      });
    });
  } else {
    describe.skip(`${title} (skipped: ${missing}; .ci/install-ci-deps installs it)`, body);
  }
}
