import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';

/* adr_ratios: ordinary shares per listed share, the share basis of a 20-F/40-F filer's listing (issue 15, point 5). */

const parse = (adr_ratios: unknown) => parseConfig({ adr_ratios }, '/x/c.json');

describe('adr_ratios', () => {
  it('defaults to none', () => {
    const result = parseConfig({}, '/x/c.json');
    expect(result.ok && result.config.adr_ratios).toEqual({});
  });

  it('takes positive shares per ADS by symbol as listed', () => {
    const result = parse({ TSM: 5, ASML: 1, 'BRK-B': 0.5 });
    expect(result.ok && result.config.adr_ratios).toEqual({ TSM: 5, ASML: 1, 'BRK-B': 0.5 });
  });

  it.each([
    [{ TSM: 0 }, 'adr_ratios.TSM'],
    [{ TSM: -5 }, 'adr_ratios.TSM'],
    [{ TSM: '5' }, 'adr_ratios.TSM'],
    [{ tsm: 5 }, 'adr_ratios'],
    [[5], 'adr_ratios'],
  ])('refuses %j, naming %s', (value, key) => {
    const result = parse(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.join('\n')).toContain(key);
  });
});
