/** A count with its noun in agreement: `plural(1, 'stock', 'stocks')` is "1 stock", 0 and 2 take the plural. */
export function plural(count: number, singular: string, pluralForm: string): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/**
 * Edit distance counting an insertion, deletion, substitution or swap of two neighbours as one
 * (optimal string alignment): `stauts` is one swap from `status`, where plain Levenshtein says 2.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = rows[i] as number[];
      const above = rows[i - 1] as number[];
      let best = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The candidates closest to a mistyped `word` (case ignored), at most 2 edits away and no more
 * than half the word's length: `x` is one edit from `q` too, and suggesting it would be noise.
 * Empty when nothing is close; several when they tie.
 */
export function closestMatches(word: string, candidates: readonly string[]): string[] {
  const limit = Math.min(2, Math.floor(word.length / 2));
  let best = Number.POSITIVE_INFINITY;
  let matches: string[] = [];
  for (const candidate of new Set(candidates)) {
    if (candidate === word) continue;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance > limit || distance > best) continue;
    if (distance < best) matches = [];
    best = distance;
    matches.push(candidate);
  }
  return matches.sort();
}

/** `a`, `a or b`, `a, b or c`. */
export function joinOr(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${String(items.at(-1))}`;
}
