import type { Decision } from '../../model/conflict.js';
import type { PolicyDiff } from './diff-policies.js';
import { formatValue } from '../format-value.js';

function describe(d: Decision | undefined): string {
  if (!d) return '(no decision)';
  if (d.kind === 'existence') return `${d.take} (${d.rule})`;
  return `${d.take === 'value' ? `value ${formatValue(d.value)}` : `${d.take} wins`} (${d.rule})`;
}

/** The text form of a policy diff: the count, the count per field, and each example before and after. */
export function renderPolicyDiff(diff: PolicyDiff, source = 'conflicts'): string {
  const out = [
    `${diff.changed} of ${diff.total} ${source} would resolve differently (${diff.oldResolver} -> ${diff.newResolver})`,
  ];
  const fields = Object.entries(diff.byField).sort(([, a], [, b]) => b - a);
  if (fields.length > 0) out.push(`by field: ${fields.map(([f, n]) => `${f} ${n}`).join(', ')}`);
  for (const ex of diff.examples) {
    const c = ex.conflict;
    out.push(
      '',
      `${c.object} ${JSON.stringify(c.key)} (${c.kind}; erp modified ${c.erp.modifiedAt}, crm modified ${c.crm.modifiedAt})`,
    );
    for (const field of ex.changedFields) {
      const find = (ds: readonly Decision[]): Decision | undefined =>
        ds.find((d) => (d.kind === 'existence' ? '*existence*' : d.field) === field);
      if (field !== '*existence*') {
        const v = (s: Record<string, unknown> | null): string => formatValue((s?.[field] ?? null) as never);
        out.push(`  ${field}: base ${v(c.base)}, erp ${v(c.erp.fields)}, crm ${v(c.crm.fields)}`);
      } else {
        out.push('  record:');
      }
      out.push(
        `    before: ${describe(find(ex.before.decisions))}`,
        `    after:  ${describe(find(ex.after.decisions))}`,
      );
    }
  }
  return out.join('\n');
}
