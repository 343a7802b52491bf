import { z } from 'zod';
import type { ZohoRecord, ZohoModuleTable } from './zoho-store.js';
import { ZohoApiError } from './zoho-emulator-errors.js';
import { parseIsoDateTime } from './zoho-values.js';
import { textOf } from '../../util/text-of.js';

export const CRITERIA_COMPARATORS = [
  'equal',
  'not_equal',
  'in',
  'not_in',
  'less_than',
  'less_equal',
  'greater_than',
  'greater_equal',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'between',
  'not_between',
] as const;

/** Bulk Read criteria: one condition, or a group of them joined by `and`/`or` (groups nest). */
export type BulkReadCriteria =
  | {
      readonly field: { readonly api_name: string };
      readonly comparator: (typeof CRITERIA_COMPARATORS)[number];
      readonly value: unknown;
    }
  | { readonly group_operator: 'and' | 'or' | 'AND' | 'OR'; readonly group: readonly BulkReadCriteria[] };

export const criteriaSchema: z.ZodType<BulkReadCriteria> = z.lazy(() =>
  z.union([
    z
      .object({
        field: z.object({ api_name: z.string().min(1) }).strict(),
        comparator: z.enum(CRITERIA_COMPARATORS),
        value: z.unknown(),
      })
      .strict(),
    z.object({ group_operator: z.enum(['and', 'or', 'AND', 'OR']), group: z.array(criteriaSchema).min(1) }).strict(),
  ]),
);

const EMPTY = '${EMPTY}';

/** Whether a record matches (throws INVALID_QUERY for unknown fields). */
export function matchesCriteria(
  table: ZohoModuleTable,
  record: ZohoRecord,
  criteria: BulkReadCriteria,
  valueOf: (record: ZohoRecord, apiName: string) => unknown,
): boolean {
  if ('group' in criteria) {
    const results = criteria.group.map((c) => matchesCriteria(table, record, c, valueOf));
    return criteria.group_operator.toLowerCase() === 'and' ? results.every(Boolean) : results.some(Boolean);
  }
  const name = criteria.field.api_name;
  const field = name === 'id' ? undefined : table.fields.get(name.toLowerCase());
  if (name !== 'id' && !field) {
    throw new ZohoApiError(400, 'INVALID_QUERY', 'invalid query formed', { api_name: name, reason: 'field not found' });
  }
  const isTime = field?.data_type === 'datetime';
  const norm = (v: unknown): string | number | boolean | null => {
    if (v === null || v === undefined || v === '' || v === EMPTY) return null;
    if (isTime && typeof v === 'string') {
      const seconds = parseIsoDateTime(v);
      if (seconds === undefined) {
        throw new ZohoApiError(400, 'INVALID_QUERY', 'invalid query formed', {
          api_name: name,
          reason: 'DateTime values must be ISO 8601 without milliseconds',
        });
      }
      return seconds;
    }
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : textOf(v);
  };
  const have = norm(valueOf(record, field?.api_name ?? 'id'));
  const wanted = criteria.value;
  const cmp = (a: string | number | boolean | null, b: string | number | boolean | null): number => {
    if (a === null || b === null) return Number.NaN;
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  };
  const list = (): (string | number | boolean | null)[] => (Array.isArray(wanted) ? wanted.map(norm) : [norm(wanted)]);
  const text = (): [string, string] => [textOf(have ?? '').toLowerCase(), textOf(wanted ?? '').toLowerCase()];
  switch (criteria.comparator) {
    case 'equal':
      return have === norm(wanted) || cmp(have, norm(wanted)) === 0;
    case 'not_equal':
      return !(have === norm(wanted) || cmp(have, norm(wanted)) === 0);
    case 'in':
      return list().some((w) => w === have || cmp(have, w) === 0);
    case 'not_in':
      return !list().some((w) => w === have || cmp(have, w) === 0);
    case 'less_than':
      return cmp(have, norm(wanted)) < 0;
    case 'less_equal':
      return cmp(have, norm(wanted)) <= 0;
    case 'greater_than':
      return cmp(have, norm(wanted)) > 0;
    case 'greater_equal':
      return cmp(have, norm(wanted)) >= 0;
    case 'contains':
      return text()[0].includes(text()[1]);
    case 'not_contains':
      return !text()[0].includes(text()[1]);
    case 'starts_with':
      return text()[0].startsWith(text()[1]);
    case 'ends_with':
      return text()[0].endsWith(text()[1]);
    case 'between':
    case 'not_between': {
      const [lo, hi] = list();
      if (lo === undefined || hi === undefined) {
        throw new ZohoApiError(400, 'INVALID_QUERY', 'invalid query formed', {
          api_name: name,
          reason: 'between takes a two-element array',
        });
      }
      const inside = cmp(have, lo) >= 0 && cmp(have, hi) <= 0;
      return criteria.comparator === 'between' ? inside : !inside;
    }
  }
}
