import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp-dirs.js';
import { describeWith, firstMissing, missingProgram } from './system-tools.js';

/*
 * .ci/postgres-cluster is what gives CI's Postgres tests their server: it must hand the command a
 * working superuser URL on 127.0.0.1 with password authentication, and leave nothing behind (no
 * server, no folder) even when the command fails.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = path.join(ROOT, '.ci', 'postgres-cluster');
const tempDir = tempDirs();

function missingServer(): string | null {
  const found = spawnSync('bash', ['-c', 'command -v pg_ctl || compgen -G "/usr/lib/postgresql/*/bin/pg_ctl"'], { encoding: 'utf8' });
  return found.status === 0 ? null : 'pg_ctl is not installed (Debian package postgresql)';
}

// The command inside the cluster: what the server says about itself, then a wrong password, then a
// failure of its own (exit 7), which the script must pass on after cleaning up.
const INNER = [
  'set -u',
  'echo "url=$BATCH_REFRESH_TEST_DATABASE_URL"',
  `psql "$BATCH_REFRESH_TEST_DATABASE_URL" -Atc "select current_setting('listen_addresses'), rolsuper from pg_roles where rolname = current_user"`,
  'psql "postgres://postgres:wrong@${BATCH_REFRESH_TEST_DATABASE_URL#*@}" -Atc "select 1" >/dev/null 2>&1 && echo wrong-password-accepted',
  'exit 7',
].join('\n');

describeWith('.ci/postgres-cluster', firstMissing(missingServer(), missingProgram('psql', ['--version'], 'postgresql-client')), () => {
  it('runs the command with a superuser URL on 127.0.0.1 (password checked), passes its exit code on and removes the server', () => {
    const tmp = tempDir('pg-cluster-');
    // As root the server runs as postgres, which must reach its folder under TMPDIR.
    chmodSync(tmp, 0o755);
    const result = spawnSync('bash', [SCRIPT, 'bash', '-c', INNER], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp }, timeout: 120_000 });
    expect(result.stderr).not.toContain('did not start');
    expect(result.status).toBe(7);
    const url = /^url=(postgres:\/\/postgres:([0-9a-f]{32})@127\.0\.0\.1:(\d+)\/postgres)$/m.exec(result.stdout);
    expect(url, result.stdout + result.stderr).not.toBeNull();
    expect(result.stdout).toMatch(/^127\.0\.0\.1\|t$/m);
    expect(result.stdout).not.toContain('wrong-password-accepted');
    // The password is generated per cluster, and the script's own line does not print it.
    expect(result.stdout.split(url?.[2] ?? '').length - 1).toBe(1);
    expect(readdirSync(tmp)).toEqual([]);
    const after = spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', url?.[3] ?? '0'], { encoding: 'utf8' });
    expect(after.status).not.toBe(0);
  });
});
