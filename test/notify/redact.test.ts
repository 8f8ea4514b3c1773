import { describe, expect, it } from 'vitest';
import { describeError, redactText, redactUrl, urlSecrets } from '../../src/notify/redact.js';

describe('redaction of webhook URLs and secrets', () => {
  it.each([
    ['https://hooks.slack.com/services/T0/B0/abc', 'https://hooks.slack.com/…'],
    ['https://discord.com/api/webhooks/1/tok?wait=true', 'https://discord.com/…'],
    ['https://user:pw@example.com:8443/x?token=1', 'https://example.com:8443/…'],
    ['not a url', '<invalid url>'],
  ])('redactUrl(%s) → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('cuts every URL in a text to scheme and host, then hides the literal secrets left', () => {
    const url = 'https://hooks.slack.com/services/T0/B0/abc';
    expect(redactText(`POST ${url} failed; path /services/T0/B0/abc; pass hunter2`, [...urlSecrets(url), 'hunter2'])).toBe('POST https://hooks.slack.com/… failed; path ***; pass ***');
  });

  it('lists the path, its decoded form and a user-info password as secrets of a URL', () => {
    expect(urlSecrets('https://u:p%40ss@h.example/a%20b?t=1')).toEqual(['https://u:p%40ss@h.example/a%20b?t=1', 'p%40ss', '/a%20b?t=1', '/a b?t=1']);
  });

  it('follows the cause chain of an error, with codes, redacted', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    const inner = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(describeError(new TypeError('fetch failed', { cause }), [])).toBe('fetch failed: connect ECONNREFUSED 10.0.0.1:443');
    expect(describeError(new Error('outer https://h.example/secret', { cause: inner }), ['secret'])).toBe('outer https://h.example/…: socket hang up (ECONNRESET)');
    expect(describeError('a string', [])).toBe('a string');
  });
});
