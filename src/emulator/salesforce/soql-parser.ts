/**
 * A small recursive-descent parser for the SOQL subset Bulk API 2.0 query serves in the emulator:
 *
 *   SELECT field[, Parent.Field ...] FROM Object
 *   [WHERE cond]  cond: comparisons (=, !=, <>, <, <=, >, >=, LIKE, IN, NOT IN) joined by AND / OR / NOT and ()
 *   [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n]
 *
 * Literals: 'strings' (with \ escapes), numbers, true/false/null, unquoted datetimes (2024-01-01T00:00:00Z,
 * +hh:mm offsets, fractional seconds) and dates (2024-01-01). Like SOQL, AND and OR may not be mixed at one level
 * without parentheses. Features Bulk API 2.0 rejects (GROUP BY, aggregates, OFFSET, TYPEOF, subqueries) raise
 * SoqlError with kind 'unsupported'; anything else unparsable raises kind 'malformed'.
 *
 * @example
 * ```ts
 * parseSoql("SELECT Id, Name FROM Account WHERE SystemModstamp > 2024-01-01T00:00:00Z ORDER BY SystemModstamp")
 * // { fields: [{ path: ['Id'], ...}, ...], object: 'Account', where: { kind: 'compare', ... }, orderBy: [...] }
 * ```
 */

/** A field reference: `['Name']` or `['Account', 'Name']`, with its position in the text. */
export interface FieldPath {
  readonly path: readonly string[];
  readonly text: string;
  readonly position: number;
}

export type Literal =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' }
  | { readonly kind: 'datetime'; readonly value: number; readonly text: string }
  | { readonly kind: 'date'; readonly value: string };

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Condition =
  | { readonly kind: 'and' | 'or'; readonly operands: readonly Condition[] }
  | { readonly kind: 'not'; readonly operand: Condition }
  | { readonly kind: 'compare'; readonly field: FieldPath; readonly op: ComparisonOperator; readonly value: Literal }
  | { readonly kind: 'in'; readonly field: FieldPath; readonly negated: boolean; readonly values: readonly Literal[] }
  | { readonly kind: 'like'; readonly field: FieldPath; readonly pattern: string };

export interface OrderItem {
  readonly field: FieldPath;
  readonly descending: boolean;
  readonly nullsLast: boolean;
}

export interface SoqlQuery {
  readonly fields: readonly FieldPath[];
  readonly object: string;
  readonly objectPosition: number;
  readonly where: Condition | undefined;
  readonly orderBy: readonly OrderItem[];
  readonly limit: number | undefined;
}

/** A query the parser rejects: 'malformed' (MALFORMED_QUERY) or 'unsupported' by Bulk API 2.0. */
export class SoqlError extends Error {
  constructor(
    readonly kind: 'malformed' | 'unsupported',
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'SoqlError';
  }
}

type TokenKind = 'ident' | 'string' | 'number' | 'datetime' | 'date' | 'op' | 'punct' | 'eof';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly value: string;
  readonly position: number;
}

const DATETIME_RE = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/y;
const DATE_RE = /\d{4}-\d{2}-\d{2}(?![\dT])/y;
const NUMBER_RE = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const IDENT_RE = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const sticky = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(text);
    return m ? m[0] : undefined;
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new SoqlError('malformed', `unexpected token: <EOF> (unterminated string)`, start);
        const c = text[i]!;
        if (c === '\\') {
          const next = text[i + 1];
          const map: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            b: '\b',
            f: '\f',
            "'": "'",
            '"': '"',
            '\\': '\\',
          };
          if (next === '%' || next === '_')
            value += `\\${next}`; // kept escaped for LIKE
          else if (next !== undefined && map[next] !== undefined) value += map[next];
          else
            throw new SoqlError(
              'malformed',
              `Invalid string literal '${text.slice(start, i + 2)}'. Illegal character sequence '\\${next ?? ''}' in string literal.`,
              i,
            );
          i += 2;
          continue;
        }
        if (c === "'") {
          i++;
          break;
        }
        value += c;
        i++;
      }
      tokens.push({ kind: 'string', text: text.slice(start, i), value, position: start });
      continue;
    }
    const dt = sticky(DATETIME_RE);
    if (dt) {
      tokens.push({ kind: 'datetime', text: dt, value: dt, position: start });
      i += dt.length;
      continue;
    }
    const d = sticky(DATE_RE);
    if (d) {
      tokens.push({ kind: 'date', text: d, value: d, position: start });
      i += d.length;
      continue;
    }
    if (/[\d.]/.test(ch) || ((ch === '-' || ch === '+') && /[\d.]/.test(text[i + 1] ?? ''))) {
      const n = sticky(NUMBER_RE);
      if (n) {
        tokens.push({ kind: 'number', text: n, value: n, position: start });
        i += n.length;
        continue;
      }
    }
    const id = sticky(IDENT_RE);
    if (id) {
      tokens.push({ kind: 'ident', text: id, value: id, position: start });
      i += id.length;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      tokens.push({ kind: 'op', text: two, value: two === '<>' ? '!=' : two, position: start });
      i += 2;
      continue;
    }
    if (ch === '=' || ch === '<' || ch === '>') {
      tokens.push({ kind: 'op', text: ch, value: ch, position: start });
      i++;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',' || ch === ':') {
      tokens.push({ kind: 'punct', text: ch, value: ch, position: start });
      i++;
      continue;
    }
    throw new SoqlError('malformed', `unexpected token: '${ch}'`, start);
  }
  tokens.push({ kind: 'eof', text: '<EOF>', value: '', position: text.length });
  return tokens;
}

const RESERVED = new Set([
  'select',
  'from',
  'where',
  'and',
  'or',
  'not',
  'in',
  'like',
  'order',
  'by',
  'asc',
  'desc',
  'nulls',
  'first',
  'last',
  'limit',
  'offset',
  'group',
  'having',
  'with',
  'for',
  'using',
  'includes',
  'excludes',
  'null',
  'true',
  'false',
  'typeof',
]);
const AGGREGATES = new Set([
  'count',
  'count_distinct',
  'sum',
  'avg',
  'min',
  'max',
  'fields',
  'tolabel',
  'format',
  'convertcurrency',
  'calendar_year',
  'day_only',
]);

class Parser {
  #i = 0;
  constructor(readonly tokens: readonly Token[]) {}

  get peek(): Token {
    return this.tokens[this.#i]!;
  }
  next(): Token {
    return this.tokens[this.#i++]!;
  }
  isKeyword(word: string, offset = 0): boolean {
    const t = this.tokens[this.#i + offset];
    return t !== undefined && t.kind === 'ident' && t.value.toLowerCase() === word;
  }
  unexpected(t: Token = this.peek): SoqlError {
    return new SoqlError('malformed', `unexpected token: '${t.text}'`, t.position);
  }
  expectKeyword(word: string): Token {
    if (!this.isKeyword(word)) throw this.unexpected();
    return this.next();
  }
  expectPunct(p: string): void {
    if (this.peek.kind !== 'punct' || this.peek.value !== p) throw this.unexpected();
    this.next();
  }

  query(): SoqlQuery {
    this.expectKeyword('select');
    const fields: FieldPath[] = [];
    do {
      if (fields.length > 0) this.next(); // the comma
      fields.push(this.selectItem());
    } while (this.peek.kind === 'punct' && this.peek.value === ',');
    if (!this.isKeyword('from')) throw this.unexpected();
    this.next();
    const objectToken = this.next();
    if (
      objectToken.kind !== 'ident' ||
      objectToken.value.includes('.') ||
      RESERVED.has(objectToken.value.toLowerCase())
    ) {
      throw this.unexpected(objectToken);
    }
    if (this.peek.kind === 'ident' && !RESERVED.has(this.peek.value.toLowerCase())) this.next(); // alias: ignored
    if (this.isKeyword('using'))
      throw new SoqlError('unsupported', 'USING SCOPE is not supported in Bulk Query', this.peek.position);
    let where: Condition | undefined;
    if (this.isKeyword('where')) {
      this.next();
      where = this.condition();
    }
    if (this.isKeyword('with'))
      throw new SoqlError('unsupported', 'WITH clauses are not supported in Bulk Query', this.peek.position);
    if (this.isKeyword('group'))
      throw new SoqlError('unsupported', 'GROUP BY is not supported in Bulk Query', this.peek.position);
    if (this.isKeyword('having'))
      throw new SoqlError('unsupported', 'HAVING is not supported in Bulk Query', this.peek.position);
    const orderBy: OrderItem[] = [];
    if (this.isKeyword('order')) {
      this.next();
      this.expectKeyword('by');
      do {
        if (orderBy.length > 0) this.next();
        const field = this.fieldPath();
        let descending = false;
        if (this.isKeyword('asc')) this.next();
        else if (this.isKeyword('desc')) {
          this.next();
          descending = true;
        }
        let nullsLast = descending;
        if (this.isKeyword('nulls')) {
          this.next();
          if (this.isKeyword('first')) nullsLast = false;
          else if (this.isKeyword('last')) nullsLast = true;
          else throw this.unexpected();
          this.next();
        }
        orderBy.push({ field, descending, nullsLast });
      } while (this.peek.kind === 'punct' && this.peek.value === ',');
    }
    let limit: number | undefined;
    if (this.isKeyword('limit')) {
      this.next();
      const t = this.next();
      if (t.kind !== 'number' || !/^\d+$/.test(t.value)) throw this.unexpected(t);
      limit = Number(t.value);
    }
    if (this.isKeyword('offset'))
      throw new SoqlError('unsupported', 'OFFSET is not supported in Bulk Query', this.peek.position);
    if (this.isKeyword('for'))
      throw new SoqlError(
        'unsupported',
        'FOR VIEW/REFERENCE/UPDATE is not supported in Bulk Query',
        this.peek.position,
      );
    if (this.peek.kind !== 'eof') throw this.unexpected();
    return { fields, object: objectToken.value, objectPosition: objectToken.position, where, orderBy, limit };
  }

  selectItem(): FieldPath {
    const t = this.peek;
    if (t.kind === 'punct' && t.value === '(') {
      if (this.isKeyword('select', 1)) {
        throw new SoqlError('unsupported', 'Aggregate Relationships not supported in Bulk Query', t.position);
      }
      throw this.unexpected();
    }
    if (t.kind === 'ident' && t.value.toLowerCase() === 'typeof') {
      throw new SoqlError('unsupported', 'TYPEOF is not supported in Bulk Query', t.position);
    }
    const next = this.tokens[this.#i + 1];
    if (t.kind === 'ident' && next?.kind === 'punct' && next.value === '(') {
      if (AGGREGATES.has(t.value.toLowerCase())) {
        throw new SoqlError(
          'unsupported',
          `Aggregate queries are not supported in Bulk Query (${t.value.toUpperCase()}())`,
          t.position,
        );
      }
      throw new SoqlError('malformed', `unexpected token: '('`, next.position);
    }
    return this.fieldPath();
  }

  fieldPath(): FieldPath {
    const t = this.next();
    if (t.kind !== 'ident' || RESERVED.has(t.value.toLowerCase())) throw this.unexpected(t);
    return { path: t.value.split('.'), text: t.value, position: t.position };
  }

  // AND and OR cannot be mixed at one level without parentheses, as in SOQL.
  condition(): Condition {
    const first = this.unary();
    if (!this.isKeyword('and') && !this.isKeyword('or')) return first;
    const joiner = this.peek.value.toLowerCase() as 'and' | 'or';
    const operands = [first];
    while (this.isKeyword('and') || this.isKeyword('or')) {
      if (this.peek.value.toLowerCase() !== joiner) throw this.unexpected();
      this.next();
      operands.push(this.unary());
    }
    return { kind: joiner, operands };
  }

  unary(): Condition {
    if (this.isKeyword('not')) {
      this.next();
      return { kind: 'not', operand: this.unary() };
    }
    if (this.peek.kind === 'punct' && this.peek.value === '(') {
      this.next();
      const inner = this.condition();
      this.expectPunct(')');
      return inner;
    }
    return this.comparison();
  }

  comparison(): Condition {
    const field = this.fieldPath();
    const t = this.peek;
    if (t.kind === 'op') {
      this.next();
      return { kind: 'compare', field, op: t.value as ComparisonOperator, value: this.literal() };
    }
    if (this.isKeyword('like')) {
      this.next();
      const p = this.next();
      if (p.kind !== 'string') throw this.unexpected(p);
      return { kind: 'like', field, pattern: p.value };
    }
    let negated = false;
    if (this.isKeyword('not') && this.isKeyword('in', 1)) {
      this.next();
      negated = true;
    }
    if (this.isKeyword('in')) {
      this.next();
      this.expectPunct('(');
      if (this.isKeyword('select')) {
        throw new SoqlError(
          'unsupported',
          'Semi-join subqueries are not supported by the emulator',
          this.peek.position,
        );
      }
      const values: Literal[] = [this.literal()];
      while (this.peek.kind === 'punct' && this.peek.value === ',') {
        this.next();
        values.push(this.literal());
      }
      this.expectPunct(')');
      return { kind: 'in', field, negated, values };
    }
    if (this.isKeyword('includes') || this.isKeyword('excludes')) {
      throw new SoqlError(
        'unsupported',
        `${t.value.toUpperCase()} (multi-select picklists) is not supported by the emulator`,
        t.position,
      );
    }
    throw this.unexpected();
  }

  literal(): Literal {
    const t = this.next();
    switch (t.kind) {
      case 'string':
        return { kind: 'string', value: t.value };
      case 'number':
        return { kind: 'number', value: Number(t.value), text: t.value };
      case 'datetime': {
        const ms = Date.parse(t.value);
        if (Number.isNaN(ms))
          throw new SoqlError(
            'malformed',
            `line 1:${t.position} no viable alternative at character '${t.text}'`,
            t.position,
          );
        return { kind: 'datetime', value: ms, text: t.value };
      }
      case 'date':
        return { kind: 'date', value: t.value };
      case 'ident': {
        const v = t.value.toLowerCase();
        if (v === 'true' || v === 'false') return { kind: 'boolean', value: v === 'true' };
        if (v === 'null') return { kind: 'null' };
        if (/^[a-z_0-9]+$/.test(v) && /^(today|yesterday|tomorrow|last_|next_|this_|n_)/.test(v)) {
          throw new SoqlError(
            'unsupported',
            `Date literal ${t.value.toUpperCase()} is not supported by the emulator; use an explicit datetime such as 2024-01-01T00:00:00Z`,
            t.position,
          );
        }
        throw this.unexpected(t);
      }
      default:
        throw this.unexpected(t);
    }
  }
}

/** Parses a SOQL query of the supported subset; throws SoqlError. */
export function parseSoql(text: string): SoqlQuery {
  return new Parser(tokenize(text)).query();
}

/** Salesforce's MALFORMED_QUERY message layout: the query line, a caret, `ERROR at Row:r:Column:c`, the problem. */
export function formatSoqlErrorMessage(text: string, position: number, problem: string): string {
  const before = text.slice(0, position);
  const row = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = text.indexOf('\n', position);
  const line = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  const column = position - lineStart + 1;
  return `\n${line}\n${' '.repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n${problem}`;
}
