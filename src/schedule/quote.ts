/*
 * Quoting for the two places a path of this install ends up in: systemd unit files and a crontab
 * line. Both are parsed by something other than us (systemd's unquoting, /bin/sh under cron), so
 * a path with a space, a quote, "%" or "$" must be escaped for exactly that parser, and anything
 * that no escaping makes safe (a newline ends a unit-file or crontab line) is refused up front.
 */

/** Characters that need no quoting in a systemd command line or a shell word. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Why `value` cannot go into a unit file or crontab, or null when it can. Control characters
 * (newline above all) would end the line and let the rest of the path become a new directive.
 */
export function findUnsafePathProblem(value: string): string | null {
  if (value === '') return 'is empty';
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'contains a newline or another control character';
  if (!value.startsWith('/')) return 'is not an absolute path';
  // A unit-file line ending in a backslash continues on the next line; trailing blanks are trimmed.
  if (/[\s\\]$/.test(value)) return 'ends in whitespace or a backslash';
  return null;
}

/** `%` starts a specifier (%h, %u, …) in every unit-file value that takes specifiers. */
export function escapeSystemdSpecifiers(value: string): string {
  return value.replaceAll('%', '%%');
}

/** Double-quotes a word for systemd's unquoting (systemd.syntax(7)) when it needs it. */
function quoteSystemdWord(value: string): string {
  if (PLAIN_WORD.test(value)) return value;
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/**
 * Why systemd would refuse `value` as the program of ExecStart=, or null. Quotes and backslashes
 * are rejected there whatever the quoting ("Executable name contains special characters").
 */
export function findSystemdExecutableProblem(value: string): string | null {
  return /["'\\]/.test(value) ? 'contains a quote or a backslash, which systemd does not accept in the path of the program it starts' : null;
}

/** The program of ExecStart=: quoted when needed, `%` doubled; `$` stays as is (the program is never variable-expanded). */
export function quoteSystemdExecutable(value: string): string {
  return quoteSystemdWord(escapeSystemdSpecifiers(value));
}

/**
 * One argument of ExecStart=: quoted as systemd.service(5) "Command lines" reads it, with `%`
 * and `$` doubled because specifiers and $VARIABLES are expanded inside quotes too.
 */
export function quoteSystemdExecArg(value: string): string {
  return quoteSystemdWord(escapeSystemdSpecifiers(value).replaceAll('$', '$$$$'));
}

/** One path of a space-separated path list (ReadWritePaths=): quoted, specifiers escaped, `$` literal. */
export function quoteSystemdPathListItem(value: string): string {
  return quoteSystemdWord(escapeSystemdSpecifiers(value));
}

/** A POSIX shell word: as is when plain, else single-quoted with embedded quotes as '\''. */
export function quoteShellArg(value: string): string {
  if (PLAIN_WORD.test(value)) return value;
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * cron turns an unescaped `%` in the command into a newline (the rest becomes stdin); `\%` reaches
 * the shell as `%`, inside single quotes as well. Other backslashes pass through untouched.
 */
export function escapeCronCommand(command: string): string {
  return command.replaceAll('%', '\\%');
}
