import type { Decision, SideVersion } from '../model/conflict.js';
import type { Fields } from '../model/record.js';
import { formatValue } from '../resolve/format-value.js';

export interface RecordTableInput {
  readonly object: string;
  readonly key: string;
  readonly base: Fields | null;
  readonly erp: SideVersion | null;
  readonly crm: SideVersion | null;
  readonly decisions?: readonly Decision[];
  /** Extra columns, e.g. `{ target: {...} }`. */
  readonly extra?: Readonly<Record<string, Fields | null>>;
}

function side(version: SideVersion | null): string {
  if (!version) return 'absent';
  return version.deleted ? `deleted at ${version.modifiedAt}` : `modified ${version.modifiedAt}`;
}

/**
 * A record with its base and both sides as a small text table, for counterexamples and explanations:
 *
 * ```
 * account K1: erp modified 2024-01-01T00:00:00.000000Z, crm modified 2024-01-01T00:01:00.000000Z
 * field | base | erp | crm   | decided
 * name  | "a"  | "b" | "c"   | crm (latest-wins)
 * ```
 */
export function renderRecordTable(input: RecordTableInput): string {
  const names = new Set<string>();
  for (const f of [input.base, input.erp?.fields, input.crm?.fields, ...Object.values(input.extra ?? {})])
    if (f) for (const n of Object.keys(f)) names.add(n);
  const decided = new Map<string, string>();
  let existence: string | undefined;
  for (const d of input.decisions ?? []) {
    if (d.kind === 'existence') existence = `${d.take} (${d.rule})`;
    else decided.set(d.field, `${d.take === 'value' ? `value ${formatValue(d.value)}` : d.take} (${d.rule})`);
  }
  const extraNames = Object.keys(input.extra ?? {});
  const header = ['field', 'base', 'erp', 'crm', ...extraNames, 'decided'];
  const same = (n: string): boolean => {
    const values = [
      input.base,
      input.erp && !input.erp.deleted ? input.erp.fields : null,
      input.crm && !input.crm.deleted ? input.crm.fields : null,
    ].map((f) => (f ? JSON.stringify(f[n] ?? null) : '-'));
    return values.every((v) => v === values[0]) && !decided.has(n);
  };
  // Fields equal everywhere say nothing about the failure; they are counted, not shown.
  const hidden = [...names].filter(same);
  const rows = [...names]
    .filter((n) => !hidden.includes(n))
    .sort()
    .map((n) => {
      const cell = (f: Fields | null | undefined): string => (f ? formatValue(f[n]) : '-');
      return [
        n,
        input.base ? cell(input.base) : '-',
        input.erp && !input.erp.deleted ? cell(input.erp.fields) : '-',
        input.crm && !input.crm.deleted ? cell(input.crm.fields) : '-',
        ...extraNames.map((e) => cell(input.extra?.[e])),
        decided.get(n) ?? '',
      ];
    });
  const widths = header.map((h, i) => Math.min(40, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join(' | ')
      .trimEnd();
  const out = [
    `${input.object} ${JSON.stringify(input.key)}: base ${input.base ? 'known' : 'none'}, erp ${side(input.erp)}, crm ${side(input.crm)}`,
    line(header),
    widths.map((w, i) => (i === widths.length - 1 ? '-'.repeat(7) : '-'.repeat(w))).join('-+-'),
    ...rows.map(line),
  ];
  if (hidden.length > 0)
    out.push(
      `(${hidden.length} field${hidden.length === 1 ? '' : 's'} equal in base, erp and crm not shown: ${hidden.sort().join(', ')})`,
    );
  if (existence) out.push(`existence decided: ${existence}`);
  return out.join('\n');
}
