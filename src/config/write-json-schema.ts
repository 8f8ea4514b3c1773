import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema, FREE_TEXT_KEYS } from './schema.js';

type JsonSchema = Record<string, unknown>;

/**
 * The rule of unknown-keys.ts, for editors: every object lists the free-text keys and refuses
 * others (`additionalProperties: false`), so a typo is underlined where it is typed. zod's input
 * schema of a stripping object says nothing about extra keys.
 */
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(closeObjects);
  if (typeof node !== 'object' || node === null) return;
  const schema = node as JsonSchema;
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (schema.type === 'object' && properties !== undefined) {
    for (const key of FREE_TEXT_KEYS) properties[key] ??= { description: 'Free text; ignored' };
    schema.additionalProperties = false;
  }
  for (const value of Object.values(schema)) closeObjects(value);
}

/** The JSON Schema of the config file, generated from the zod schema so the two never drift. */
export function buildConfigJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  closeObjects(schema);
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
