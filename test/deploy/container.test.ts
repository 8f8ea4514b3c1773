import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cronJobParts, ROOT } from './manifests.js';

/*
 * The Containerfile, read as a linter would (hadolint is not installable here): the stages, the
 * non-root user, the production install, the entrypoint and what the build copies. The image is
 * built only where a builder answers (`docker info`); this machine's docker CLI has no daemon, and
 * neither has CI, so there that test skips and says why.
 */

interface Instruction {
  keyword: string;
  args: string;
}

/** The Containerfile's instructions by stage, continuation lines joined, comments dropped. */
function readStages(): { from: string; instructions: Instruction[] }[] {
  const text = readFileSync(path.join(ROOT, 'Containerfile'), 'utf8');
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '');
  const stages: { from: string; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^\s*(\w+)\s+(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: args.trim() };
    if (instruction.keyword === 'FROM') stages.push({ from: instruction.args, instructions: [] });
    else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

function ignorePatterns(file: string): string[] {
  return readFileSync(path.join(ROOT, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

const stages = readStages();
const runtime = stages.at(-1) ?? { from: '', instructions: [] };
const args = (keyword: string, stage = runtime): string[] => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('the Containerfile', () => {
  it('runs on Node 20 slim, with the compiler only in the build stages', () => {
    const nodeImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(path.join(ROOT, 'Containerfile'), 'utf8'))?.[1];
    expect(nodeImage).toMatch(/^node:20-[a-z]+-slim$/);
    expect(stages.map((stage) => stage.from)).toEqual(['${NODE_IMAGE} AS build', '${NODE_IMAGE} AS deps', '${NODE_IMAGE}']);
    expect(args('RUN').join('\n')).not.toMatch(/apt-get|g\+\+|python3/);
  });

  it('installs the production dependencies with npm ci --omit=dev where the native part can build', () => {
    const deps = stages.find((stage) => stage.from.endsWith('AS deps'));
    const runs = deps === undefined ? '' : args('RUN', deps).join('\n');
    expect(runs).toMatch(/npm ci --omit=dev/);
    expect(runs).toMatch(/apt-get install .*python3 make g\+\+/);
    expect(runs).toMatch(/npm rebuild better-sqlite3/);
    expect(args('COPY')).toContain('--from=deps /app/node_modules ./node_modules');
  });

  it('runs as a numeric non-root user, set after every step that needs root', () => {
    const users = args('USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = (users[0] ?? '').split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    const keywords = runtime.instructions.map((i) => i.keyword);
    expect(keywords.lastIndexOf('RUN')).toBeLessThan(keywords.indexOf('USER'));
    expect(keywords.lastIndexOf('COPY')).toBeLessThan(keywords.indexOf('USER'));
  });

  it('has the CLI as its entrypoint, the same program the CronJob runs, and a default config where BATCH_REFRESH_CONFIG points', () => {
    const entrypoint = JSON.parse(args('ENTRYPOINT')[0] ?? '[]') as string[];
    expect(entrypoint).toEqual(['/app/bin/batch-refresh']);
    expect(args('COPY')).toContain('bin ./bin');
    expect(args('WORKDIR')).toEqual(['/app']);
    accessSync(path.join(ROOT, 'bin', 'batch-refresh'), constants.X_OK);
    expect(cronJobParts().container.command).toEqual(entrypoint);
    const configPath = /BATCH_REFRESH_CONFIG=(\S+)/.exec(args('ENV').join(' '))?.[1];
    expect(configPath).toBe(cronJobParts().container.args[1]);
    expect(args('COPY')).toContain(`deploy/container/batch_config.json ${configPath ?? '?'}`);
  });

  it('copies only files that exist and that the ignore files let through', () => {
    const ignored = ignorePatterns('.containerignore');
    const sources = stages.flatMap((stage) =>
      args('COPY', stage)
        .filter((copy) => !copy.startsWith('--from='))
        .flatMap((copy) => copy.split(/\s+/).slice(0, -1)),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(path.join(ROOT, source)), source).toBe(true);
      expect(ignored.filter((pattern) => source === pattern || source.startsWith(`${pattern}/`))).toEqual([]);
    }
  });

  it('keeps dependencies, builds, local data and configs out of the build context, the same for Docker and Podman', () => {
    const patterns = ignorePatterns('.containerignore');
    expect(ignorePatterns('.dockerignore')).toEqual(patterns);
    for (const pattern of ['.git', 'node_modules', 'dist', '*.db', 'logs', 'reports', 'backups', 'config']) expect(patterns).toContain(pattern);
  });
});

/** Null when a container builder answers, else why not. */
function missingBuilder(): string | null {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
  if (info.error !== undefined) return 'no docker CLI';
  if (info.status !== 0) return `no container builder answers (docker info: ${(info.stderr || info.stdout).trim().split('\n').at(-1) ?? ''})`;
  return null;
}

const noBuilder = missingBuilder();
const describeBuild = noBuilder === null ? describe : describe.skip;

// Skipped under CI too: CI's machine has no container daemon, and a build needs the network for
// the base image (README, "Running in a container / on Kubernetes").
describeBuild(`the image${noBuilder === null ? '' : ` (skipped: ${noBuilder}; CI has none either)`}`, () => {
  it('builds, and its entrypoint prints the version as user 1000', () => {
    const tag = 'batch-refresh:test';
    const build = spawnSync('docker', ['build', '-f', 'Containerfile', '-t', tag, '.'], { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
    expect(build.status, build.stderr.slice(-2000)).toBe(0);
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const run = spawnSync('docker', ['run', '--rm', tag, '--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout.trim()).toBe(version);
    const user = spawnSync('docker', ['run', '--rm', '--entrypoint', 'id', tag, '-u'], { encoding: 'utf8', timeout: 60_000 });
    expect(user.stdout.trim()).toBe('1000');
  }, 1_000_000);
});
