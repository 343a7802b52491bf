/** Edit distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  // Three rolling rows: the swap rule looks two rows back.
  let before: number[] = [];
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        best = Math.min(best, (before[j - 2] ?? 0) + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/** The allowed word closest to `word`, when it is close enough to be a likely typo (else undefined). */
export function closestMatch(word: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * `unknown key 'tabel'; did you mean 'table'? allowed: table, key` -- one message for every unknown key of one map.
 */
export function unknownKeysMessage(keys: readonly string[], allowed: readonly string[]): string {
  const parts = keys.map((key) => {
    const guess = closestMatch(key, allowed);
    return guess === undefined ? `unknown key '${key}';` : `unknown key '${key}'; did you mean '${guess}'?`;
  });
  return `${parts.join(' ')} allowed: ${allowed.join(', ')}`;
}
