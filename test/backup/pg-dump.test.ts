import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { backupPostgres, describePostgresBackup, findOnPath, SERVER_BACKUP_NOTE } from '../../src/backup/pg-dump.js';
import { adminQuery, describePostgres, throwawayDatabases } from '../helpers/postgres.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { describeWith, missingProgram } from '../schedule/system-tools.js';

const tempDir = tempDirs();
const STAMP = '20260105_020000';

/** A folder holding one executable `name` with `script` as its body. */
function fakeTool(name: string, script: string): string {
  const dir = tempDir('pg-tools-');
  writeFileSync(path.join(dir, name), `#!/bin/sh\n${script}\n`);
  chmodSync(path.join(dir, name), 0o755);
  return dir;
}

describe('backupPostgres without the client programs', () => {
  it("says plainly that backups are the server's job when pg_dump is not on PATH, and writes nothing", async () => {
    const directory = path.join(tempDir('pg-backup-'), 'backups');
    const empty = tempDir('no-tools-');
    const result = await backupPostgres({ url: 'postgres://postgres:secret@127.0.0.1:1/none', directory, stamp: STAMP, keep: 3, searchPath: empty });
    expect(result).toEqual({ kind: 'server', path: null, note: expect.stringContaining(`${SERVER_BACKUP_NOTE}: pg_dump and pg_restore not on PATH`) as string });
    expect(describePostgresBackup(result)).toContain("backups are the server's job");
    expect(existsSync(directory)).toBe(false);
  });

  it('names pg_restore alone when only it is missing (a dump it cannot check is no backup)', async () => {
    const tools = fakeTool('pg_dump', 'exit 0');
    const result = await backupPostgres({ url: 'postgres://u@127.0.0.1:1/db', directory: tempDir('pg-backup-'), stamp: STAMP, keep: 3, searchPath: tools });
    expect(result.kind === 'server' && result.note).toMatch(/: pg_restore not on PATH/);
  });

  it('refuses a dump that pg_restore cannot read, and removes it', async () => {
    const tools = tempDir('junk-tools-');
    for (const [name, body] of [
      ['pg_dump', 'for a in "$@"; do case "$a" in --file=*) echo junk > "${a#--file=}";; esac; done'],
      ['pg_restore', 'echo "pg_restore: error: input file does not appear to be a valid archive" >&2; exit 1'],
    ] as const) {
      writeFileSync(path.join(tools, name), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(tools, name), 0o755);
    }
    const directory = tempDir('pg-backup-');
    await expect(backupPostgres({ url: 'postgres://u:topsecret@127.0.0.1:1/db', directory, stamp: STAMP, keep: 3, searchPath: tools })).rejects.toThrow(
      /not a readable archive.*does not appear to be a valid archive/,
    );
    expect(readdirSync(directory)).toEqual([]);
  });

  it('hands pg_dump the URL as libpq reads it (no password; ssl=true as sslmode=require; database.ssl and ssl_ca_file winning) and the password escaped in the passfile', async () => {
    const record = path.join(tempDir('pg-record-'), 'calls');
    const tools = fakeTool('pg_dump', `{ printf '%s\\n' "$@"; /bin/cat "$PGPASSFILE"; } > "${record}"; echo "pg_dump: error: connection failed" >&2; exit 1`);
    writeFileSync(path.join(tools, 'pg_restore'), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(tools, 'pg_restore'), 0o755);
    const url = `postgres://jane:${encodeURIComponent('p:w\\x')}@db.internal:6543/stocks?ssl=true&application_name=nightly`;
    await expect(backupPostgres({ url, directory: tempDir('pg-backup-'), stamp: STAMP, keep: 3, searchPath: tools })).rejects.toThrow('pg_dump failed (1): pg_dump: error: connection failed');
    const calls = readFileSync(record, 'utf8').split('\n');
    expect(calls).toContain('--dbname=postgres://jane@db.internal:6543/stocks?application_name=nightly&sslmode=require');
    expect(calls).toContain('*:*:*:*:p\\:w\\\\x');
    const verified = backupPostgres({
      url: 'postgres://jane@db.internal/stocks?sslmode=disable',
      ssl: 'verify-full',
      sslRootCert: '/etc/ssl/db-ca.pem',
      directory: tempDir('pg-backup-'),
      stamp: STAMP,
      keep: 3,
      searchPath: tools,
    });
    await expect(verified).rejects.toThrow('pg_dump failed');
    expect(readFileSync(record, 'utf8').split('\n')).toContain(`--dbname=postgres://jane@db.internal/stocks?sslmode=verify-full&sslrootcert=${encodeURIComponent('/etc/ssl/db-ca.pem')}`);
  });

  it('finds only executable files on the search path', () => {
    const dir = tempDir('path-');
    writeFileSync(path.join(dir, 'pg_dump'), 'not executable');
    expect(findOnPath('pg_dump', dir)).toBeNull();
    expect(findOnPath('pg_dump', `${dir}:${fakeTool('pg_dump', 'exit 0')}`)).toMatch(/pg_dump$/);
  });
});

describePostgres('backupPostgres against a real server', (adminUrl) => {
  describeWith('pg_dump', missingProgram('pg_dump', ['--version'], 'postgresql-client'), () => {
    const newDatabase = throwawayDatabases(adminUrl);
    let source: string;
    let restored: string;
    beforeAll(async () => {
      source = await newDatabase('pgdump');
      restored = await newDatabase('pgrestore');
      await adminQuery(source, 'CREATE TABLE stocks (symbol text PRIMARY KEY, price numeric); INSERT INTO stocks VALUES ($$AAPL$$, 190.5), ($$MSFT$$, 410.25)');
    });

    it('dumps the database in custom format, checks it with pg_restore --list, and the dump restores its rows', async () => {
      const directory = path.join(tempDir('pg-backup-'), 'backups');
      const result = await backupPostgres({ url: source, directory, stamp: STAMP, keep: 3 });
      expect(result).toMatchObject({ kind: 'pg_dump', path: path.join(directory, `stocks_backup_${STAMP}.dump`), tables: 1 });
      if (result.kind !== 'pg_dump') return;
      expect(result.bytes).toBe(readFileSync(result.path).length);
      expect(result.entries).toBeGreaterThanOrEqual(3); // the table, its rows, its primary key
      expect(readFileSync(result.path).subarray(0, 5).toString()).toBe('PGDMP');
      const restore = spawnSync('pg_restore', ['--no-owner', `--dbname=${restored}`, result.path], { encoding: 'utf8' });
      expect(restore.stderr).toBe('');
      const rows = await adminQuery(restored, 'SELECT symbol, price::text FROM stocks ORDER BY symbol');
      expect(rows).toEqual([
        { symbol: 'AAPL', price: '190.5' },
        { symbol: 'MSFT', price: '410.25' },
      ]);
    });

    it('passes the password through a 0600 passfile it deletes, never on the command line or in PGPASSWORD', async () => {
      const record = path.join(tempDir('pg-record-'), 'calls');
      const realDump = findOnPath('pg_dump', process.env.PATH ?? '') ?? 'pg_dump';
      const spy = fakeTool(
        'pg_dump',
        `{ printf 'argv=%s\\n' "$*"; echo "PGPASSWORD=\${PGPASSWORD-unset}"; echo "PGPASSFILE=$PGPASSFILE"; stat -c 'mode=%a' "$PGPASSFILE"; } >> "${record}"\nexec "${realDump}" "$@"`,
      );
      const password = new URL(source).password;
      const withoutPassword = new URL(source);
      withoutPassword.password = '';
      process.env.PGPASSWORD = 'a-stale-one';
      try {
        const result = await backupPostgres({
          url: withoutPassword.toString(),
          password: decodeURIComponent(password),
          directory: tempDir('pg-backup-'),
          stamp: STAMP,
          keep: 3,
          searchPath: `${spy}:${process.env.PATH ?? ''}`,
        });
        expect(result.kind).toBe('pg_dump');
      } finally {
        delete process.env.PGPASSWORD;
      }
      const calls = readFileSync(record, 'utf8');
      expect(calls).toMatch(/^argv=--format=custom --no-password --file=\S+ --dbname=postgres:\/\/postgres@127\.0\.0\.1:\d+\/pgdump_[0-9a-f]+$/m);
      expect(calls).not.toContain(decodeURIComponent(password));
      expect(calls).toContain('PGPASSWORD=unset');
      expect(calls).toContain('mode=600');
      const passfile = /^PGPASSFILE=(.+)$/m.exec(calls)?.[1] ?? '';
      expect(passfile).not.toBe('');
      expect(existsSync(passfile)).toBe(false);
    });

    it('keeps the newest keep_last_n_backups dumps and leaves SQLite backups alone', async () => {
      const directory = tempDir('pg-backup-');
      const old = ['stocks_backup_20260101_020000.dump', 'stocks_backup_20260102_020000.dump', 'stocks_backup_20260103_020000.dump', 'stocks_backup_20260101_020000.db'];
      old.forEach((name, i) => {
        writeFileSync(path.join(directory, name), 'old');
        utimesSync(path.join(directory, name), 1_767_000_000 + i, 1_767_000_000 + i);
      });
      const result = await backupPostgres({ url: source, directory, stamp: STAMP, keep: 2 });
      expect(result.kind).toBe('pg_dump');
      expect(readdirSync(directory).sort()).toEqual(['stocks_backup_20260101_020000.db', 'stocks_backup_20260103_020000.dump', `stocks_backup_${STAMP}.dump`]);
    });

    it('fails on a wrong password with a message that does not show it, leaving no file', async () => {
      const wrong = new URL(source);
      wrong.password = 'not-the-password-42';
      const directory = tempDir('pg-backup-');
      const failure = backupPostgres({ url: wrong.toString(), directory, stamp: STAMP, keep: 2 });
      await expect(failure).rejects.toThrow(/pg_dump failed \(1\):.*password authentication failed/);
      await expect(failure).rejects.not.toThrow(/not-the-password-42/);
      expect(readdirSync(directory)).toEqual([]);
    });
  });
});
