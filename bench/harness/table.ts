/**
 * Renders rows as a fixed-width text table (stdout) or a Markdown table (docs), the first row being the header.
 *
 * @example
 * ```ts
 * console.log(textTable([['figure', 'median'], ['wall s', '12.3']]))
 * ```
 */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const [head, ...body] = rows;
  if (!head) return '';
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function markdownTable(rows: readonly (readonly string[])[]): string {
  const [head, ...body] = rows;
  if (!head) return '';
  const esc = (cell: string) => cell.replaceAll('|', '\\|');
  const line = (row: readonly string[]) => `| ${row.map(esc).join(' | ')} |`;
  return [line(head), `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...body.map(line)].join('\n');
}

/** A number for a table: integers with thousands separators, others with `digits` decimals. */
export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Number.isInteger(value) && Math.abs(value) >= 100) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
