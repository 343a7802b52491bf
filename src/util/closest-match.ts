import damerauLevenshtein from 'damerau-levenshtein';

/**
 * Edit distance (insertions, deletions, substitutions, adjacent swaps: the optimal-string-alignment distance of
 * damerau-levenshtein), case-insensitive. A swap counts 1, so `tabel` is one step from `table`.
 */
export function editDistance(a: string, b: string): number {
  return damerauLevenshtein(a.toLowerCase(), b.toLowerCase()).steps;
}

export interface ClosestMatchOptions {
  /**
   * The largest edit distance still taken for a typo, whatever the word's length (a third of the word's length
   * counts when larger). Default 1: tandem.yaml's keys and names are short, and a wrong guess there misleads.
   * Policy files use 2: their words (strategy names, field names) are longer and made up by the user.
   */
  readonly minDistance?: number;
}

/**
 * The allowed word closest to `word`, when it is close enough to be a likely typo (else undefined).
 *
 * @example
 * ```ts
 * closestMatch('tabel', ['table', 'key']) // 'table'
 * closestMatch('lastest-wins', ['latest-wins', 'manual'], { minDistance: 2 }) // 'latest-wins'
 * ```
 */
export function closestMatch(
  word: string,
  allowed: readonly string[],
  options: ClosestMatchOptions = {},
): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(options.minDistance ?? 1, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * `unknown key 'tabel'; did you mean 'table'? allowed: table, key` -- one message for every unknown key of one map
 * (tandem.yaml's style).
 */
export function unknownKeysMessage(keys: readonly string[], allowed: readonly string[]): string {
  const parts = keys.map((key) => {
    const guess = closestMatch(key, allowed);
    return guess === undefined ? `unknown key '${key}';` : `unknown key '${key}'; did you mean '${guess}'?`;
  });
  return `${parts.join(' ')} allowed: ${allowed.join(', ')}`;
}

/** `; allowed: 'a', 'b'; did you mean 'a'?` (the policy files' and the CLI's style). */
export function allowedHint(input: string, allowed: readonly string[]): string {
  const close = closestMatch(input, allowed, { minDistance: 2 });
  const list = allowed.length === 0 ? '(none)' : allowed.map((a) => `'${a}'`).join(', ');
  return `; allowed: ${list}${close ? `; did you mean '${close}'?` : ''}`;
}
