import { HubSpotApiError } from './emulator-errors.js';
import type { ObjectTypeState } from './hubspot-store.js';

/** HubSpot's published search limits. */
export const SEARCH_LIMITS = Object.freeze({
  maxGroups: 5,
  maxFiltersPerGroup: 6,
  maxFilters: 18,
  maxLimit: 200,
  maxResults: 10_000,
  maxBodyChars: 3000,
});

export const SEARCH_OPERATORS = [
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
] as const;
type Operator = (typeof SEARCH_OPERATORS)[number];

interface Filter {
  readonly propertyName: string;
  readonly operator: Operator;
  readonly value?: string;
  readonly highValue?: string;
  readonly values?: readonly string[];
}

interface Sort {
  readonly propertyName: string;
  readonly descending: boolean;
}

/** A checked `PublicObjectSearchRequest`. */
export interface SearchQuery {
  readonly groups: readonly (readonly Filter[])[];
  readonly sorts: readonly Sort[];
  readonly properties: readonly string[] | undefined;
  readonly limit: number;
  readonly after: number;
  readonly query: string | undefined;
}

const bad = (message: string): HubSpotApiError => new HubSpotApiError(400, 'VALIDATION_ERROR', message);

const scalar = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

/** Parses and checks a search body against the object's properties and HubSpot's limits (400 on any problem). */
export function parseSearchQuery(type: ObjectTypeState, body: unknown): SearchQuery {
  const b = (body ?? {}) as Record<string, unknown>;
  const rawGroups = b['filterGroups'] ?? [];
  if (!Array.isArray(rawGroups)) throw bad('filterGroups must be a list');
  if (rawGroups.length > SEARCH_LIMITS.maxGroups) {
    throw bad(`Too many filter groups: ${rawGroups.length}. The maximum is ${SEARCH_LIMITS.maxGroups}.`);
  }
  let total = 0;
  const groups = rawGroups.map((g: unknown) => {
    const filters = (g as { filters?: unknown } | null)?.filters ?? [];
    if (!Array.isArray(filters)) throw bad('filterGroups[].filters must be a list');
    if (filters.length > SEARCH_LIMITS.maxFiltersPerGroup) {
      throw bad(`Too many filters in a group: ${filters.length}. The maximum is ${SEARCH_LIMITS.maxFiltersPerGroup}.`);
    }
    total += filters.length;
    return filters.map((f: unknown): Filter => {
      const o = (f ?? {}) as Record<string, unknown>;
      const propertyName = scalar(o['propertyName']);
      const operator = scalar(o['operator']) ?? 'EQ';
      if (propertyName === undefined || !type.properties.has(propertyName)) {
        throw bad(`There was a problem with the request: property ${String(propertyName)} does not exist`);
      }
      if (!(SEARCH_OPERATORS as readonly string[]).includes(operator)) {
        throw bad(`Unknown operator ${operator}; allowed: ${SEARCH_OPERATORS.join(', ')}`);
      }
      const values = Array.isArray(o['values']) ? (o['values'] as unknown[]).map((v) => scalar(v) ?? '') : undefined;
      const value = scalar(o['value']);
      const highValue = scalar(o['highValue']);
      return {
        propertyName,
        operator: operator as Operator,
        ...(value === undefined ? {} : { value }),
        ...(highValue === undefined ? {} : { highValue }),
        ...(values === undefined ? {} : { values }),
      };
    });
  });
  if (total > SEARCH_LIMITS.maxFilters) {
    throw bad(`Too many filters: ${total}. The maximum is ${SEARCH_LIMITS.maxFilters} across all filter groups.`);
  }
  const rawSorts = b['sorts'] ?? [];
  if (!Array.isArray(rawSorts)) throw bad('sorts must be a list');
  const sorts = rawSorts.map((s: unknown): Sort => {
    if (typeof s === 'string') {
      const descending = s.startsWith('-');
      return { propertyName: descending ? s.slice(1) : s, descending };
    }
    const o = (s ?? {}) as Record<string, unknown>;
    return { propertyName: scalar(o['propertyName']) ?? 'hs_object_id', descending: o['direction'] === 'DESCENDING' };
  });
  const limit = b['limit'] === undefined ? 10 : Number(b['limit']);
  if (!Number.isInteger(limit) || limit < 0 || limit > SEARCH_LIMITS.maxLimit) {
    throw bad(`limit must be an integer from 0 to ${SEARCH_LIMITS.maxLimit}, got ${String(b['limit'])}`);
  }
  const afterText = scalar(b['after']) ?? '0';
  const after = /^\d+$/.test(afterText) ? Number(afterText) : NaN;
  if (!Number.isFinite(after)) throw bad(`after must be a numeric offset, got ${afterText}`);
  if (after + limit > SEARCH_LIMITS.maxResults) {
    throw bad(
      `Paging through search results is limited to ${SEARCH_LIMITS.maxResults} results (after ${after} + limit ${limit}). Narrow the query instead.`,
    );
  }
  const properties = Array.isArray(b['properties']) ? (b['properties'] as unknown[]).map(String) : undefined;
  const query = scalar(b['query']);
  return { groups, sorts, properties, limit, after, query };
}

/** A value as search compares it: numbers and instants numerically, the rest as text. */
function comparable(type: ObjectTypeState, propertyName: string, value: string): number | string {
  const p = type.properties.get(propertyName);
  if (!p) return value;
  if (p.type === 'number') return Number(value);
  if (p.type === 'datetime' || p.type === 'date') {
    if (/^-?\d+$/.test(value)) return Number(value);
    const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    return Number.isFinite(ms) ? ms : value;
  }
  return value.toLowerCase();
}

function compare(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function matches(type: ObjectTypeState, f: Filter, properties: Readonly<Record<string, string>>): boolean {
  const raw = properties[f.propertyName];
  const has = raw !== undefined && raw !== '';
  switch (f.operator) {
    case 'HAS_PROPERTY':
      return has;
    case 'NOT_HAS_PROPERTY':
      return !has;
    case 'IN':
    case 'NOT_IN': {
      const inList =
        has &&
        (f.values ?? []).some(
          (v) => compare(comparable(type, f.propertyName, v), comparable(type, f.propertyName, raw)) === 0,
        );
      return f.operator === 'IN' ? inList : !inList;
    }
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      const token = (f.value ?? '').toLowerCase().replace(/\*/g, '');
      const contains =
        has &&
        raw
          .toLowerCase()
          .split(/[\s@.,;]+/)
          .some((t) => t.includes(token));
      return f.operator === 'CONTAINS_TOKEN' ? contains : !contains;
    }
    default:
      break;
  }
  if (!has) return f.operator === 'NEQ';
  const left = comparable(type, f.propertyName, raw);
  const right = comparable(type, f.propertyName, f.value ?? '');
  const c = compare(left, right);
  switch (f.operator) {
    case 'EQ':
      return c === 0;
    case 'NEQ':
      return c !== 0;
    case 'LT':
      return c < 0;
    case 'LTE':
      return c <= 0;
    case 'GT':
      return c > 0;
    case 'GTE':
      return c >= 0;
    case 'BETWEEN':
      return c >= 0 && compare(left, comparable(type, f.propertyName, f.highValue ?? '')) <= 0;
  }
}

/** Whether a record's properties satisfy the query (groups ORed, filters ANDed; no groups: everything). */
export function matchesQuery(
  type: ObjectTypeState,
  q: SearchQuery,
  properties: Readonly<Record<string, string>>,
): boolean {
  if (q.query !== undefined && q.query !== '') {
    const needle = q.query.toLowerCase();
    if (!Object.values(properties).some((v) => v.toLowerCase().includes(needle))) return false;
  }
  if (q.groups.length === 0) return true;
  return q.groups.some((g) => g.every((f) => matches(type, f, properties)));
}

/** Orders matched records by the query's sorts, then by id (unset values last). */
export function searchOrder(
  type: ObjectTypeState,
  q: SearchQuery,
): (
  a: { id: string; properties: Readonly<Record<string, string>> },
  b: { id: string; properties: Readonly<Record<string, string>> },
) => number {
  return (a, b) => {
    for (const s of q.sorts) {
      const x = a.properties[s.propertyName];
      const y = b.properties[s.propertyName];
      if (x === undefined || y === undefined) {
        if (x === y) continue;
        return x === undefined ? 1 : -1;
      }
      const c = compare(comparable(type, s.propertyName, x), comparable(type, s.propertyName, y));
      if (c !== 0) return s.descending ? -c : c;
    }
    return Number(a.id) - Number(b.id);
  };
}
