import { readFileSync, statSync } from 'node:fs';

/*
 * Secrets (the SMTP password, webhook URLs with their tokens) come from an environment variable or
 * a file the config names, never from the config itself. What goes wrong is described by the
 * variable's NAME or the file's PATH and the config key: never by the value.
 */

/** Where a secret is, as the config says; `key` is the config key that said it (for messages). */
export type SecretRef = { kind: 'env'; name: string; key: string } | { kind: 'file'; path: string; key: string };

export type SecretValue = { ok: true; value: string } | { ok: false; reason: string };

/** Reads secrets and remembers every value read, so a last-resort error message can be redacted. */
export interface SecretReader {
  read(ref: SecretRef): SecretValue;
  /** Every value `read` returned so far. */
  known(): string[];
}

/**
 * `warn` hears about a secret file that others may read (once per file): the job still uses it,
 * since refusing would only lose the night's notification, but the owner should tighten it.
 */
export function createSecretReader(env: NodeJS.ProcessEnv, warn: (message: string) => void): SecretReader {
  const values: string[] = [];
  const warned = new Set<string>();
  return {
    read(ref) {
      const result = ref.kind === 'env' ? readEnvSecret(ref, env) : readFileSecret(ref, warned, warn);
      if (result.ok) values.push(result.value);
      return result;
    },
    known: () => [...values],
  };
}

function readEnvSecret(ref: Extract<SecretRef, { kind: 'env' }>, env: NodeJS.ProcessEnv): SecretValue {
  const value = env[ref.name];
  if (value === undefined || value === '') return { ok: false, reason: `environment variable ${ref.name} (${ref.key}) is not set` };
  return { ok: true, value };
}

function readFileSecret(ref: Extract<SecretRef, { kind: 'file' }>, warned: Set<string>, warn: (message: string) => void): SecretValue {
  let text: string;
  try {
    text = readFileSync(ref.path, 'utf8');
  } catch (error) {
    // Our own words: the path and the errno code, nothing the file might contain.
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${code ?? 'error'})`;
    return { ok: false, reason: `file ${ref.path} (${ref.key}) ${why}` };
  }
  // `echo secret > file` leaves a newline; no password or URL ends in whitespace.
  const value = text.trim();
  if (value === '') return { ok: false, reason: `file ${ref.path} (${ref.key}) is empty` };
  if (!warned.has(ref.path)) {
    warned.add(ref.path);
    const mode = fileMode(ref.path);
    if (mode !== null && (mode & 0o077) !== 0) {
      warn(`secret file ${ref.path} (${ref.key}) is accessible to other users (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 it`);
    }
  }
  return { ok: true, value };
}

function fileMode(file: string): number | null {
  try {
    return statSync(file).mode & 0o777;
  } catch {
    return null;
  }
}
