import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema } from './schema.js';

/** The JSON Schema of the config file, generated from the zod schema so the two never drift. */
export function buildConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'batch-refresh configuration' };
}

/** Serialised exactly as committed in config/batch_config.schema.json. */
export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(buildConfigJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = process.argv[2] ?? 'config/batch_config.schema.json';
  writeFileSync(target, renderConfigJsonSchema());
  process.stderr.write(`wrote ${target}\n`);
}
