import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { renderCronBlock } from '../../src/schedule/render-cron.js';
import { renderContinuousUnit, renderServiceUnit, renderTimerUnit } from '../../src/schedule/render-systemd.js';
import { buildScheduleTarget, type ScheduleTarget } from '../../src/schedule/schedule-target.js';

/*
 * systemd/*.service, systemd/*.timer and cron/batch-refresh.cron are what `schedule install`
 * renders for an install in /opt/batch-refresh with the shipped config. These tests keep them from
 * drifting from the renderer; `UPDATE_SCHEDULE_EXAMPLES=1 npx vitest run test/schedule` rewrites them.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE_DIR = '/opt/batch-refresh';
const EXAMPLE_NODE = '/usr/bin/node';

function exampleTarget(): ScheduleTarget {
  const raw = JSON.parse(readFileSync(path.join(ROOT, 'config', 'batch_config.json'), 'utf8')) as unknown;
  const loaded = parseConfig(raw, path.join(EXAMPLE_DIR, 'config', 'batch_config.json'));
  if (!loaded.ok) throw new Error(loaded.issues.join('\n'));
  const built = buildScheduleTarget(loaded.config, {}, { nodePath: EXAMPLE_NODE, binPath: path.join(EXAMPLE_DIR, 'bin', 'batch-refresh'), installDir: EXAMPLE_DIR });
  if (!built.ok) throw new Error(built.issue);
  return built.target;
}

const FULL_SANDBOX = { userNamespaces: true };
const EXAMPLES: { file: string; render: (target: ScheduleTarget) => string }[] = [
  { file: 'systemd/batch-refresh.service', render: (target) => renderServiceUnit(target, FULL_SANDBOX) },
  { file: 'systemd/batch-refresh.timer', render: (target) => renderTimerUnit(target) },
  { file: 'systemd/batch-refresh-continuous.service', render: (target) => renderContinuousUnit(target, FULL_SANDBOX) },
  { file: 'cron/batch-refresh.cron', render: (target) => renderCronBlock(target) },
];

describe('committed scheduler examples', () => {
  for (const example of EXAMPLES) {
    it(`${example.file} is exactly what schedule install renders for ${EXAMPLE_DIR}`, () => {
      const expected = example.render(exampleTarget());
      const file = path.join(ROOT, example.file);
      if (process.env.UPDATE_SCHEDULE_EXAMPLES === '1') writeFileSync(file, expected);
      expect(readFileSync(file, 'utf8'), `${example.file} is stale: UPDATE_SCHEDULE_EXAMPLES=1 npx vitest run test/schedule/committed-files.test.ts`).toBe(expected);
    });
  }
});
