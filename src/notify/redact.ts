/*
 * Webhook URLs are credentials: Slack and Discord put the token in the path, others in the query.
 * Whatever reaches a log, a result or an error message goes through here first.
 */

// Trailing punctuation belongs to the sentence, not the URL.
const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*[^\s"'<>.,;:!?)\]]/gi;

/** `https://hooks.slack.com/services/T0/B0/xyz?x=1` → `https://hooks.slack.com/…`; no path, query or user info. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/…`;
  } catch {
    return '<invalid url>';
  }
}

/**
 * The secrets a message must not show: any URL is cut to its scheme and host (an error may quote
 * it in a form that differs from the configured one), then each literal secret left becomes `***`.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text.replace(URL_PATTERN, (match) => redactUrl(match));
  for (const secret of [...secrets].filter((s) => s !== '').sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join('***');
  }
  return out;
}

/** The parts of a URL that may carry a token, as literal strings for `redactText`. */
export function urlSecrets(url: string): string[] {
  const secrets = [url];
  try {
    const parsed = new URL(url);
    const tail = `${parsed.pathname}${parsed.search}`;
    if (parsed.password !== '') secrets.push(parsed.password);
    if (tail !== '/') {
      secrets.push(tail);
      secrets.push(decodeURIComponent(tail));
    }
  } catch {
    // Not a URL: the literal is all there is to hide.
  }
  return secrets;
}

/**
 * The token-like pieces of a URL on their own: a receiver's error page may quote a bare token
 * ("invalid token XoXb…") that no whole-path literal matches. A piece counts as a token when it is
 * long, or not a plain lowercase word (`services`, `webhooks` and `api` stay readable).
 */
export function urlTokens(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const rawQueryValues = parsed.search
    .slice(1)
    .split('&')
    .map((pair) => pair.slice(pair.indexOf('=') + 1));
  const pieces = [...parsed.pathname.split('/'), ...rawQueryValues, ...parsed.searchParams.values(), parsed.username, parsed.hash.slice(1)];
  const tokens = new Set<string>();
  for (const piece of pieces) {
    for (const form of [piece, safeDecode(piece)]) if (form.length >= 16 || (form.length >= 8 && !/^[a-z_-]+$/.test(form))) tokens.add(form);
  }
  return [...tokens];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The message of anything thrown, with the `cause` chain (fetch hides the reason there), redacted. */
export function describeError(error: unknown, secrets: readonly string[]): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth += 1) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      parts.push(typeof code === 'string' && !current.message.includes(code) ? `${current.message} (${code})` : current.message);
      current = current.cause;
    } else {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a thrown non-Error (string, number, object) is shown as String() shows it
      parts.push(String(current));
      break;
    }
  }
  return redactText(parts.filter((part) => part !== '').join(': ') || 'unknown error', secrets);
}
