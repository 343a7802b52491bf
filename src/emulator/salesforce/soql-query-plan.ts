import { SalesforceApiError } from './emulator-errors.js';
import type { EmulatorStore, ObjectTable, Row } from './emulator-store.js';
import { IS_DELETED } from './emulator-store.js';
import { formatFieldValue, type StoredValue } from './field-codec.js';
import type { FieldDefinition } from './object-definition.js';
import { normaliseSalesforceId } from './salesforce-id.js';
import {
  type Condition,
  type FieldPath,
  formatSoqlErrorMessage,
  type Literal,
  parseSoql,
  SoqlError,
  type SoqlQuery,
} from './soql-parser.js';

/** One CSV column of a query's results. */
export interface OutputColumn {
  /** Header: the field's API name, `Account.Name` for parent fields (SELECT order). */
  readonly header: string;
  readonly format: (row: Row) => string;
}

/**
 * A SOQL query resolved against the emulator's objects: column formatters, a filter and a sort.
 *
 * @example
 * ```ts
 * const plan = compileSoql('SELECT Id, Account.Name FROM Contact ORDER BY LastName', store)
 * const rows = executeQuery(plan, false) // snapshot of matching rows
 * plan.columns.map((c) => c.header)      // ['Id', 'Account.Name']
 * ```
 */
export interface QueryPlan {
  readonly query: SoqlQuery;
  readonly table: ObjectTable;
  readonly columns: readonly OutputColumn[];
  readonly filter: (row: Row) => boolean;
  readonly sort: ((rows: Row[]) => Row[]) | undefined;
}

type Accessor = (row: Row) => StoredValue;
interface ResolvedField {
  readonly field: FieldDefinition;
  readonly get: Accessor;
  readonly canonical: string;
}

const STRING_TYPES = new Set(['id', 'reference', 'string', 'textarea', 'picklist', 'email', 'phone', 'url']);
const NUMBER_TYPES = new Set(['int', 'double', 'currency', 'percent']);

/** Parses and resolves a query; throws SalesforceApiError (400) shaped like Salesforce's. */
export function compileSoql(text: string, store: EmulatorStore): QueryPlan {
  const fail = (code: string, position: number, problem: string): never => {
    throw new SalesforceApiError(400, code, formatSoqlErrorMessage(text, position, problem));
  };
  let query: SoqlQuery;
  try {
    query = parseSoql(text);
  } catch (error) {
    if (!(error instanceof SoqlError)) throw error;
    if (error.kind === 'unsupported')
      throw new SalesforceApiError(400, 'API_ERROR', `FeatureNotEnabled : ${error.message}`);
    return fail('MALFORMED_QUERY', error.position, error.message);
  }
  const table = store.table(query.object);
  if (!table) {
    return fail(
      'INVALIDENTITY',
      query.objectPosition,
      `sObject type '${query.object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }

  const resolve = (fp: FieldPath): ResolvedField => {
    let path = fp.path;
    if (
      path.length > 1 &&
      path[0]!.toLowerCase() === table.definition.name.toLowerCase() &&
      !table.definition.fields.some((f) => f.relationshipName?.toLowerCase() === path[0]!.toLowerCase())
    ) {
      path = path.slice(1);
    }
    let current = table;
    const getters: Accessor[] = [];
    const names: string[] = [];
    for (let step = 0; step < path.length - 1; step++) {
      const rel = path[step]!;
      const index = current.definition.fields.findIndex((f) => f.relationshipName?.toLowerCase() === rel.toLowerCase());
      const f = current.definition.fields[index];
      const parent = f ? store.table(f.referenceTo[0] ?? '') : undefined;
      if (!f || !parent) {
        return fail(
          'INVALID_FIELD',
          fp.position,
          `Didn't understand relationship '${rel}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
        );
      }
      const parentTable = parent;
      getters.push((row) => {
        const id = row[index];
        return typeof id === 'string' ? ((parentTable.rows.get(id) as unknown as StoredValue) ?? null) : null;
      });
      names.push(f.relationshipName!);
      current = parentTable;
    }
    const last = path[path.length - 1]!;
    const index = current.fieldIndex(last);
    if (index === undefined) {
      return fail(
        'INVALID_FIELD',
        fp.position,
        `No such column '${last}' on entity '${current.definition.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    const field = current.field(index);
    names.push(field.name);
    let get: Accessor;
    if (getters.length === 0) {
      get = (row) => row[index] ?? null;
    } else {
      get = (row) => {
        let r: Row | null = row;
        for (const g of getters) {
          r = r === null ? null : (g(r) as unknown as Row | null);
        }
        return r === null ? null : (r[index] ?? null);
      };
    }
    return { field, get, canonical: names.join('.') };
  };

  const seen = new Set<string>();
  const columns = query.fields.map((fp): OutputColumn => {
    const r = resolve(fp);
    if (seen.has(r.canonical.toLowerCase()))
      fail('MALFORMED_QUERY', fp.position, `duplicate field selected: ${r.canonical}`);
    seen.add(r.canonical.toLowerCase());
    const { field, get } = r;
    return { header: r.canonical, format: (row) => formatFieldValue(field, get(row)) };
  });

  const literalFor = (r: ResolvedField, lit: Literal, position: number): StoredValue => {
    const t = r.field.type;
    if (lit.kind === 'null') return null;
    const wrong = (expected: string, quoted: boolean): never =>
      fail(
        'INVALID_FIELD',
        position,
        `value of filter criterion for field '${r.canonical}' must be of type ${expected} and should ${quoted ? '' : 'not '}be enclosed in quotes`,
      );
    if (STRING_TYPES.has(t)) {
      if (lit.kind !== 'string') return wrong('string', true);
      if (t === 'id' || t === 'reference') {
        const id = normaliseSalesforceId(lit.value);
        if (!id) return fail('INVALID_QUERY_FILTER_OPERATOR', position, `invalid ID field: ${lit.value}`);
        return id.toLowerCase();
      }
      return lit.value.toLowerCase();
    }
    if (NUMBER_TYPES.has(t)) return lit.kind === 'number' ? lit.value : wrong(t === 'int' ? 'int' : 'double', false);
    if (t === 'boolean') return lit.kind === 'boolean' ? lit.value : wrong('boolean', false);
    if (t === 'date') return lit.kind === 'date' ? lit.value : wrong('date', false);
    return lit.kind === 'datetime' ? Math.floor(lit.value / 1000) * 1000 : wrong('dateTime', false);
  };

  // Comparable form of a stored value: strings lower-cased (SOQL compares case-insensitively).
  const comparable = (r: ResolvedField): Accessor => {
    const { get } = r;
    return STRING_TYPES.has(r.field.type)
      ? (row) => {
          const v = get(row);
          return typeof v === 'string' ? v.toLowerCase() : v;
        }
      : get;
  };

  const compile = (c: Condition, position: number): ((row: Row) => boolean) => {
    switch (c.kind) {
      case 'and': {
        const parts = c.operands.map((o) => compile(o, position));
        return (row) => parts.every((p) => p(row));
      }
      case 'or': {
        const parts = c.operands.map((o) => compile(o, position));
        return (row) => parts.some((p) => p(row));
      }
      case 'not': {
        const inner = compile(c.operand, position);
        return (row) => !inner(row);
      }
      case 'like': {
        const r = resolve(c.field);
        if (!STRING_TYPES.has(r.field.type)) {
          return fail('INVALID_FIELD', c.field.position, `invalid operator on ${r.field.type} field: LIKE`);
        }
        const source = c.pattern.replace(/\\[%_]|[%_]|[.*+?^${}()|[\]\\]/g, (m) =>
          m === '%'
            ? '.*'
            : m === '_'
              ? '.'
              : m.length === 2 && (m[1] === '%' || m[1] === '_')
                ? `\\${m[1]}`
                : `\\${m}`,
        );
        const re = new RegExp(`^${source}$`, 'is');
        const get = r.get;
        return (row) => {
          const v = get(row);
          return typeof v === 'string' && re.test(v);
        };
      }
      case 'in': {
        const r = resolve(c.field);
        const set = new Set(c.values.map((v) => literalFor(r, v, c.field.position)));
        const get = comparable(r);
        return c.negated ? (row) => !set.has(get(row)) : (row) => set.has(get(row));
      }
      case 'compare': {
        const r = resolve(c.field);
        const lit = literalFor(r, c.value, c.field.position);
        const get = comparable(r);
        if (lit === null) {
          if (c.op === '=') return (row) => get(row) === null;
          if (c.op === '!=') return (row) => get(row) !== null;
          return () => false;
        }
        switch (c.op) {
          case '=':
            return (row) => get(row) === lit;
          case '!=':
            return (row) => get(row) !== lit;
          case '<':
            return (row) => {
              const v = get(row);
              return v !== null && v < lit;
            };
          case '<=':
            return (row) => {
              const v = get(row);
              return v !== null && v <= lit;
            };
          case '>':
            return (row) => {
              const v = get(row);
              return v !== null && v > lit;
            };
          case '>=':
            return (row) => {
              const v = get(row);
              return v !== null && v >= lit;
            };
        }
      }
    }
  };
  const filter = query.where ? compile(query.where, 0) : () => true;

  let sort: QueryPlan['sort'];
  if (query.orderBy.length > 0) {
    const resolved = query.orderBy.map((o) => ({ field: resolve(o.field), o }));
    const keys = resolved.map(({ field, o }) => ({
      get: comparable(field),
      desc: o.descending,
      nullsLast: o.nullsLast,
    }));
    const cheapKeys = resolved.every(({ field }) => !STRING_TYPES.has(field.field.type));
    const compareRows = (a: Row, b: Row): number => {
      for (const { get, desc, nullsLast } of keys) {
        const x = get(a),
          y = get(b);
        if (x === y) continue;
        if (x === null) return nullsLast ? 1 : -1;
        if (y === null) return nullsLast ? -1 : 1;
        const cmp = x < y ? -1 : x > y ? 1 : 0;
        if (cmp !== 0) return desc ? -cmp : cmp;
      }
      return 0;
    };
    sort = (rows) => {
      // Numbers, dates and booleans compare as stored: sort in place (Array#sort is stable, so ties keep store order).
      if (cheapKeys) return rows.sort(compareRows);
      // Decorate once: computing keys inside the comparator would lower-case strings n log n times.
      const decorated = rows.map((row, i) => ({ row, i, k: keys.map((key) => key.get(row)) }));
      decorated.sort((a, b) => {
        for (let j = 0; j < keys.length; j++) {
          const { desc, nullsLast } = keys[j]!;
          const x = a.k[j] ?? null,
            y = b.k[j] ?? null;
          if (x === y) continue;
          if (x === null) return nullsLast ? 1 : -1;
          if (y === null) return nullsLast ? -1 : 1;
          const cmp = x < y ? -1 : x > y ? 1 : 0;
          if (cmp !== 0) return desc ? -cmp : cmp;
        }
        return a.i - b.i;
      });
      return decorated.map((d) => d.row);
    };
  }
  return { query, table, columns, filter, sort };
}

/** Runs a plan over the store: the matching rows (a snapshot: rows are immutable), sorted and limited. */
export function executeQuery(plan: QueryPlan, includeDeleted: boolean): Row[] {
  let rows: Row[] = [];
  for (const row of plan.table.rows.values()) {
    if ((includeDeleted || row[IS_DELETED] !== true) && plan.filter(row)) rows.push(row);
  }
  if (plan.sort) rows = plan.sort(rows);
  if (plan.query.limit !== undefined && rows.length > plan.query.limit) rows.length = plan.query.limit;
  return rows;
}
