/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The allowed value closest to `input`, when it is close enough to be a likely typo; else undefined. */
export function closestMatch(input: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = distance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

/** `; allowed: 'a', 'b'; did you mean 'a'?` */
export function allowedHint(input: string, allowed: readonly string[]): string {
  const close = closestMatch(input, allowed);
  const list = allowed.length === 0 ? '(none)' : allowed.map((a) => `'${a}'`).join(', ');
  return `; allowed: ${list}${close ? `; did you mean '${close}'?` : ''}`;
}
