import { ZohoApiError } from './zoho-emulator-errors.js';

/** One `(Field:operator:value)` condition of a search criteria string. */
export interface SearchCondition {
  readonly field: string;
  readonly operator: 'equals' | 'starts_with';
  readonly value: string;
}

/**
 * Parses Zoho's search criteria: `(Field:equals:value)` conditions joined by `or` / `and`, optionally wrapped in one
 * more pair of parentheses. In values, `(`, `)`, `,` and `\` are escaped with a backslash.
 *
 * @example
 * ```ts
 * parseSearchCriteria('((ERP_Customer_No:equals:C\\(1\\))or(ERP_Customer_No:equals:C-2))')
 * ```
 */
export function parseSearchCriteria(text: string): { join: 'and' | 'or'; conditions: SearchCondition[] } {
  const fail = (reason: string): never => {
    throw new ZohoApiError(400, 'INVALID_QUERY', 'invalid query formed', { reason });
  };
  let s = text.trim();
  const parts: string[] = [];
  const joins = new Set<string>();
  // Strip one outer pair when it encloses everything.
  if (s.startsWith('((') && s.endsWith('))') && enclosing(s)) s = s.slice(1, -1);
  let i = 0;
  while (i < s.length) {
    if (s[i] !== '(') fail(`expected '(' at ${i}`);
    let j = i + 1;
    let cur = '';
    while (j < s.length && s[j] !== ')') {
      if (s[j] === '\\' && j + 1 < s.length) {
        cur += s[j]! + s[j + 1]!;
        j += 2;
      } else {
        cur += s[j]!;
        j += 1;
      }
    }
    if (j >= s.length) fail('unbalanced parentheses');
    parts.push(cur);
    i = j + 1;
    const rest = s.slice(i);
    const join = /^(and|or)/i.exec(rest);
    if (join) {
      joins.add(join[1]!.toLowerCase());
      i += join[1]!.length;
    } else if (rest !== '') fail(`unexpected text after a condition: ${rest.slice(0, 20)}`);
  }
  if (parts.length === 0) fail('no condition');
  if (joins.size > 1) fail('mixing and/or needs nested groups, which the emulator does not parse');
  const conditions = parts.map((p) => {
    const first = p.indexOf(':');
    const second = first < 0 ? -1 : p.indexOf(':', first + 1);
    if (first < 0 || second < 0) fail(`a condition is (Field:operator:value), got (${p})`);
    const operator = p.slice(first + 1, second);
    if (operator !== 'equals' && operator !== 'starts_with') fail(`operator ${operator} is not supported`);
    return {
      field: p.slice(0, first),
      operator: operator as SearchCondition['operator'],
      value: p.slice(second + 1).replace(/\\(.)/g, '$1'),
    };
  });
  return { join: joins.has('and') ? 'and' : 'or', conditions };
}

function enclosing(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') {
      i += 1;
      continue;
    }
    if (s[i] === '(') depth += 1;
    if (s[i] === ')') depth -= 1;
    if (depth === 0 && i < s.length - 1) return false;
  }
  return true;
}

/** Escapes a value for a search criteria string. */
export function escapeSearchValue(value: string): string {
  return value.replace(/[\\(),]/g, (c) => `\\${c}`);
}
