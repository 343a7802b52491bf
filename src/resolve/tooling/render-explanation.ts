import type { PlannedWrite } from '../../diff/plan-record.js';
import type { Explanation } from './explain-record.js';
import { formatValue } from '../format-value.js';

function describeWrite(side: string, write: PlannedWrite | null): string {
  if (!write) return `${side}: nothing to write`;
  if (write.op === 'delete') return `${side}: delete the record`;
  const fields = Object.entries(write.fields).map(([k, v]) => `${k}=${formatValue(v)}`);
  return `${side}: upsert ${fields.length === 0 ? '(no fields)' : fields.join(', ')}`;
}

/**
 * The text form of an explanation: a header, a table (field | base | erp | crm | change | result), the reason of
 * every decision with its rule, and the writes per side.
 */
export function renderExplanation(e: Explanation): string {
  const out = [
    `${e.object} ${JSON.stringify(e.key)}: ${e.kind}`,
    `  erp ${e.erpState}${e.erpModifiedAt ? ` (modified ${e.erpModifiedAt})` : ''}, crm ${e.crmState}${e.crmModifiedAt ? ` (modified ${e.crmModifiedAt})` : ''}`,
    `  resolver ${e.resolver}${e.policyVersion ? `, policy version ${e.policyVersion}` : ''}`,
    '',
  ];
  const header = ['field', 'base', 'erp', 'crm', 'changed', 'result'];
  const rows = e.fields.map((f) => [
    f.field,
    formatValue(f.base),
    formatValue(f.erp),
    formatValue(f.crm),
    f.change,
    f.queued
      ? 'waits for a person'
      : f.decision
        ? `${f.decision.take === 'value' ? 'merged' : `${f.decision.take} wins`}: ${formatValue(f.target)}`
        : formatValue(f.target),
  ]);
  const widths = header.map((h, i) => Math.min(36, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join(' | ');
  if (rows.length > 0) out.push(line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line), '');
  const decided = e.fields.filter((f) => f.decision);
  if (decided.length > 0 || e.existence) {
    out.push('decisions:');
    if (e.existence)
      out.push(`  record: ${e.existence.take}, by ${e.existence.rule}`, `    because ${e.existence.reason}`);
    for (const f of decided)
      out.push(`  ${f.field}: ${f.decision!.take}, by ${f.decision!.rule}`, `    because ${f.decision!.reason}`);
    out.push('');
  }
  out.push('writes:', `  ${describeWrite('erp', e.writes.erp)}`, `  ${describeWrite('crm', e.writes.crm)}`);
  if (e.queued.length > 0) out.push(`waiting for a person: ${e.queued.join(', ')}`);
  return out.join('\n');
}
