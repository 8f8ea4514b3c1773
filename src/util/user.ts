import { userInfo } from 'node:os';

/** Who this process runs as, for messages about permissions: `nobody (uid 65534)`. */
export function currentUser(): string {
  const uid = process.getuid?.();
  try {
    const name = userInfo().username;
    return uid === undefined ? name : `${name} (uid ${uid})`;
  } catch {
    // A uid without a passwd entry (containers): the number is all there is.
    return `uid ${uid ?? '?'}`;
  }
}
