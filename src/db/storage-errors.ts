import { currentUser } from '../util/user.js';

/**
 * A storage error said so the reader knows what to do: a database locked past its busy timeout
 * names `database.busy_timeout_ms`; a permission problem names the path and the user. Other
 * errors keep their own message.
 */
export function explainStorageError(error: unknown, file: string, busyTimeoutMs: number): string {
  const code = String((error as { code?: string | number }).code ?? '');
  const message = (error as { message?: string }).message ?? String(error);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `${file} is locked by another program's write (waited database.busy_timeout_ms = ${busyTimeoutMs} ms); run again once it is done, or raise database.busy_timeout_ms`;
  }
  if (code === 'EACCES' || code === 'EPERM' || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN')) {
    const target = (error as { path?: unknown }).path;
    return `permission denied: ${typeof target === 'string' ? target : `${file} (or its folder)`} is not writable by user ${currentUser()} (${message}); give that user write access (chown/chmod), or run as the owner`;
  }
  return message;
}
