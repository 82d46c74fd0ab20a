/** Edit distance (insertions, deletions, substitutions), for "did you mean" hints on short names. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate a misspelt `word` most likely meant, or undefined when none is close: within two edits,
 * or a third of the word for long ones, so that "defualt" suggests "default" but "x" suggests nothing.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `(did you mean "x"?)` with a leading space, or nothing. */
export function didYouMean(word: string, candidates: Iterable<string>, quote = '"'): string {
  const hint = closest(word, candidates);
  return hint === undefined ? '' : ` (did you mean ${quote}${hint}${quote}?)`;
}
