import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXIT } from '../../src/errors.js';
import { loadSampleDataset } from '../stand-in/datasets.js';
import { startStandIn } from '../stand-in/server.js';

/**
 * `npm run demo`: the real CLI, offline. A stand-in for SEC and Yahoo on 127.0.0.1 serves the
 * bundled real responses (test/fixtures, see its PROVENANCE.md); the CLI refreshes every listing
 * of that sample into `demo/` (database, reports, logs, backups) and the summary report is
 * printed at the end. The exit code is the CLI's.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string', default: path.join(root, 'demo') },
  },
});

const DEMO_USER_AGENT = 'batch-refresh demo demo@example.com';

/** The shipped defaults, pointed at the stand-in, with every file under `dir`. */
function writeDemoConfig(dir: string, url: string): string {
  const config = {
    comment: 'Written by `npm run demo`: the real CLI against a local stand-in serving recorded SEC and Yahoo responses.',
    sources: {
      edgar: { www_url: url, data_url: url, user_agent: DEMO_USER_AGENT },
      yahoo: { base_url: url },
    },
    database: { path: 'stocks.db', backup_directory: 'backups' },
    reporting: { summary_directory: 'reports' },
    logging: { log_directory: 'logs' },
  };
  const file = path.join(dir, 'batch_config.json');
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

function runCli(configFile: string, dir: string): Promise<{ code: number; stdout: string }> {
  // The demo's own identity: a SEC_USER_AGENT of the caller's would win over the config's.
  const env: NodeJS.ProcessEnv = { ...process.env, SEC_USER_AGENT: DEMO_USER_AGENT };
  delete env.BATCH_REFRESH_CONFIG;
  const child = spawn(process.execPath, [path.join(root, 'bin', 'batch-refresh'), '--config', configFile, '--json'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal === 'SIGINT' ? EXIT.SIGINT : EXIT.FAILED), stdout }));
  });
}

async function main(): Promise<number> {
  const dir = path.resolve(args.dir);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const standIn = await startStandIn({ data: loadSampleDataset(path.join(root, 'test', 'fixtures')) });
  try {
    const configFile = writeDemoConfig(dir, standIn.url);
    process.stderr.write(`demo: stand-in for SEC and Yahoo at ${standIn.url}; refreshing the sample into ${dir}\n`);
    const { code, stdout } = await runCli(configFile, dir);
    if (stdout.trim() !== '') process.stdout.write(`${JSON.stringify(JSON.parse(stdout), null, 2)}\n`);
    const database = path.relative(process.cwd(), path.join(dir, 'stocks.db'));
    const shown = database.startsWith('..') ? path.join(dir, 'stocks.db') : database;
    process.stderr.write(code === EXIT.OK ? `demo: done. Try:\n  sqlite3 ${shown} "SELECT symbol, price, pe_ratio, lynch_category FROM stock_metrics"\n` : `demo: the CLI exited ${code}\n`);
    return code;
  } finally {
    await standIn.close();
  }
}

process.exitCode = await main();
