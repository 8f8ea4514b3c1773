import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load-config.js';
import { configSchema } from '../../src/config/schema.js';
import { findUnknownKeys } from '../../src/config/unknown-keys.js';
import { buildConfigJsonSchema } from '../../src/config/write-json-schema.js';
import { FIXTURES, ROOT } from '../helpers/cli.js';

const CONFIG_PATH = '/etc/batch-refresh/batch_config.json';

describe('unknown config keys', () => {
  it('warns about a mistyped key with the nearest key of its level, and the run goes on', () => {
    const result = parseConfig({ processing: { max_worker: 8, batch_size: 10 } }, CONFIG_PATH);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual(['processing.max_worker: unknown key; did you mean max_workers?']);
    // Stripped, not read: the default stands, which is what the warning is for.
    expect(result.config.processing).toMatchObject({ batch_size: 10, max_workers: 1 });
  });

  it.each([
    [{ proccessing: { batch_size: 10 } }, 'proccessing: unknown key; did you mean processing?'],
    // Keys that are no identifier are quoted after the object they are in: still one line starting with a key path.
    [{ continuous: { '': 0 } }, 'continuous: unknown key ""'],
    [{ 'max workers': 2 }, 'config: unknown key "max workers"'],
    [{ sources: { edgar: { user_agnet: 'Jane jane@example.com' } } }, 'sources.edgar.user_agnet: unknown key; did you mean user_agent?'],
    [{ notifications: { webhooks: [{ url: 'https://hooks.example.com/x', fromat: 'slack' }] } }, 'notifications.webhooks.0.fromat: unknown key; did you mean format?'],
    [{ logging: { Log_Level: 'DEBUG' } }, 'logging.Log_Level: unknown key; did you mean log_level?'],
    [{ database: { vacuum: true } }, 'database.vacuum: unknown key'],
    [{ scheduling: { coment: 'typo of the free-text key' } }, 'scheduling.coment: unknown key; did you mean comment?'],
    [{ universe: { 'two words': 1 } }, 'universe: unknown key "two words"'],
  ])('names %j', (raw, message) => {
    expect(findUnknownKeys(configSchema, raw)).toEqual([message]);
  });

  it("accepts the original tool's comment and description at any level silently", () => {
    const original = JSON.parse(readFileSync(path.join(FIXTURES, 'batch_config.example.json'), 'utf8')) as unknown;
    expect(findUnknownKeys(configSchema, original)).toEqual([]);
    const anywhere = {
      description: 'top',
      comment: 'top',
      processing: { comment: 'a', description: 'b' },
      notifications: { email: { comment: 'c' }, webhooks: [{ url: 'https://h.example.com/x', comment: 'd' }] },
    };
    expect(findUnknownKeys(configSchema, anywhere)).toEqual([]);
    const loaded = loadConfig(path.join(FIXTURES, 'batch_config.example.json'));
    expect(loaded.ok && loaded.warnings).toEqual([]);
    const shipped = loadConfig(path.join(ROOT, 'config', 'batch_config.json'));
    expect(shipped.ok && shipped.warnings).toEqual([]);
  });

  it('makes unknown keys errors under strict, and only them', () => {
    const strict = parseConfig({ processing: { max_worker: 8 } }, CONFIG_PATH, {}, { strict: true });
    expect(strict).toEqual({ ok: false, issues: ['processing.max_worker: unknown key; did you mean max_workers?'] });
    const clean = parseConfig({ processing: { max_workers: 8, comment: 'fine' } }, CONFIG_PATH, {}, { strict: true });
    expect(clean.ok).toBe(true);
  });

  it('lists unknown keys next to the errors of a config that fails anyway', () => {
    const result = parseConfig({ universe: { source: 'file', flie: 'symbols.txt' } }, CONFIG_PATH);
    expect(result).toEqual({ ok: false, issues: ['universe.file: required when universe.source is "file"', 'universe.flie: unknown key; did you mean file?'] });
  });

  it('tells editors the same: every object of the JSON Schema lists comment and refuses other keys', () => {
    const schema = buildConfigJsonSchema() as { additionalProperties?: boolean; properties: Record<string, { additionalProperties?: boolean; properties?: Record<string, unknown> }> };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.processing?.additionalProperties).toBe(false);
    expect(schema.properties.processing?.properties).toHaveProperty('comment');
    expect(schema.properties.processing?.properties).toHaveProperty('description');
    const webhook = (schema.properties.notifications?.properties?.webhooks as { items: { additionalProperties?: boolean } }).items;
    expect(webhook.additionalProperties).toBe(false);
  });
});
