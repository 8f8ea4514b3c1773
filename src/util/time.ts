/** ISO 8601 in local time with the offset, as the report's `start_time`/`end_time`: 2026-11-25T02:00:03.120-05:00. */
export function formatLocalIso(date: Date): string {
  const offsetMinutes = -date.getTimezoneOffset();
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** Local YYYYMMDD_HHMMSS, the stamp in report and backup file names (sorts by time). */
export function fileStamp(date: Date): string {
  return formatLocalIso(date).slice(0, 19).replace(/-/g, '').replace('T', '_').replace(/:/g, '');
}

/**
 * The one clock of a run. With `BATCH_REFRESH_NOW` the run starts at that instant and time then
 * moves on as usual, so durations stay real while staleness is judged as of that day.
 */
export function createClock(nowOverride: string | undefined, real: () => number = Date.now): () => Date {
  if (nowOverride === undefined || nowOverride.trim() === '') return () => new Date(real());
  const start = Date.parse(nowOverride);
  if (Number.isNaN(start)) throw new Error(`BATCH_REFRESH_NOW: "${nowOverride}" is not an ISO 8601 time`);
  const realStart = real();
  return () => new Date(start + (real() - realStart));
}
