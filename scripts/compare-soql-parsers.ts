// Runs the cases of test/emulator/soql-parser.test.ts through the emulator's SOQL parser and through
// @jetstreamapp/soql-parser-js, and prints a markdown table of what each gets right (docs/dependencies.md records the
// outcome). Run: npx tsx scripts/compare-soql-parsers.ts
import { parseQuery, type Query, type WhereClause } from '@jetstreamapp/soql-parser-js';
import { parseSoql, SoqlError } from '../src/emulator/salesforce/soql-parser.js';

type Expectation =
  | { readonly kind: 'accept'; readonly check: (where: string) => boolean; readonly what: string }
  | { readonly kind: 'unsupported' | 'malformed'; readonly fragment: string };

interface Case {
  readonly text: string;
  readonly expect: Expectation;
}

const accept = (what: string, check: (where: string) => boolean = () => true): Expectation => ({
  kind: 'accept',
  what,
  check,
});

const cases: Case[] = [
  {
    text: "SELECT Id, Name, Account.Name FROM Contact WHERE (LastName = 'O\\'Brien' OR LastName LIKE 'Sm_th%') AND NOT IsDeleted = true ORDER BY LastName DESC NULLS FIRST, Id LIMIT 10",
    // Our test wants AND at the top, an OR inside it, and the string decoded to O'Brien.
    expect: accept('AND of (OR, NOT) with the value decoded', (w) => w.startsWith('and(or(') && w.includes("O'Brien")),
  },
  {
    text: 'SELECT Id FROM Account WHERE SystemModstamp >= 2024-01-01T00:00:00.000+00:00 AND Birthdate__c = 2024-02-29',
    expect: accept('datetime and date literals'),
  },
  {
    text: "SELECT Id FROM Account WHERE Industry IN ('Banking', 'Energy') AND Type NOT IN ('Other') AND NumberOfEmployees > -5.5e2 AND Phone != null AND Name <> 'x' AND IsDeleted = false",
    expect: accept('IN, NOT IN, numbers, null, != and <>'),
  },
  {
    text: 'select id from account where name = null order by name asc nulls last limit 5',
    expect: accept('lower case'),
  },
  {
    text: "SELECT Id FROM Account WHERE Name = 'a\\nb\\\\c'",
    expect: accept('escapes decoded', (w) => w.includes('a\nb\\c')),
  },
  { text: 'SELECT Id FROM Account GROUP BY Name', expect: { kind: 'unsupported', fragment: 'GROUP BY' } },
  { text: 'SELECT COUNT() FROM Account', expect: { kind: 'unsupported', fragment: 'Aggregate' } },
  { text: 'SELECT Id FROM Account LIMIT 5 OFFSET 10', expect: { kind: 'unsupported', fragment: 'OFFSET' } },
  {
    text: 'SELECT Id, (SELECT Id FROM Contacts) FROM Account',
    expect: { kind: 'unsupported', fragment: 'Aggregate Relationships' },
  },
  {
    text: 'SELECT TYPEOF What WHEN Account THEN Name END FROM Event',
    expect: { kind: 'unsupported', fragment: 'TYPEOF' },
  },
  { text: 'SELECT Id FROM Account WHERE CreatedDate = TODAY', expect: { kind: 'unsupported', fragment: 'TODAY' } },
  { text: 'SELECT FROM Account', expect: { kind: 'malformed', fragment: 'FROM' } },
  { text: 'SELECT Id Account', expect: { kind: 'malformed', fragment: "'Account'" } },
  { text: 'SELECT Id FROM Account WHERE', expect: { kind: 'malformed', fragment: '<EOF>' } },
  {
    text: "SELECT Id FROM Account WHERE Name = 'x' AND Phone = 'y' OR Id = 'z'",
    expect: { kind: 'malformed', fragment: 'OR' },
  },
  {
    text: "SELECT Id FROM Account WHERE Name = 'unterminated",
    expect: { kind: 'malformed', fragment: 'unterminated' },
  },
  { text: 'SELECT Id FROM Account WHERE Name LIKE 5', expect: { kind: 'malformed', fragment: '5' } },
  { text: 'SELECT Id FROM Account LIMIT x', expect: { kind: 'malformed', fragment: 'x' } },
  { text: 'SELECT Id FROM Account ORDER BY', expect: { kind: 'malformed', fragment: '<EOF>' } },
  { text: 'SELECT Id FROM Account WHERE (Name = null', expect: { kind: 'malformed', fragment: '<EOF>' } },
  { text: 'SELECT Id FROM Account WHERE Name = #', expect: { kind: 'malformed', fragment: '#' } },
  { text: 'SELECT Id FROMM Account', expect: { kind: 'malformed', fragment: "'FROMM'" } },
];

/** Our condition tree as compact text: and(or(...),not(...)), values decoded. */
function ours(text: string): string {
  const render = (c: unknown): string => {
    const node = c as {
      kind: string;
      operands?: unknown[];
      operand?: unknown;
      value?: { value?: string | number | boolean };
    };
    if (node.kind === 'and' || node.kind === 'or')
      return `${node.kind}(${(node.operands ?? []).map(render).join(',')})`;
    if (node.kind === 'not') return `not(${render(node.operand)})`;
    return `${node.kind}:${String(node.value?.value ?? '')}`;
  };
  const q = parseSoql(text);
  return q.where === undefined ? '' : render(q.where);
}

/** The library's WHERE as the same compact text, read as it gives it (a right-leaning chain, values raw). */
function theirs(text: string): string {
  const query: Query = parseQuery(text);
  const render = (w: WhereClause | undefined): string => {
    if (w === undefined) return '';
    // The left side is a condition with an operator and a value (raw text, quotes and escapes kept).
    const condition = w.left as { operator?: string; value?: string | string[] } | null;
    const left = condition === null ? '' : `${condition.operator ?? ''}:${String(condition.value ?? '')}`;
    if (!('right' in w) || w.right === undefined) return left;
    return `${String(w.operator).toLowerCase()}(${left}${left === '' ? '' : ','}${render(w.right)})`;
  };
  return render(query.where);
}

function run(parse: (text: string) => string, c: Case): { ok: boolean; note: string } {
  let where: string;
  try {
    where = parse(c.text);
  } catch (error) {
    const message = (error as Error).message;
    const kind = error instanceof SoqlError ? error.kind : 'error';
    if (c.expect.kind === 'accept') return { ok: false, note: `rejected: ${message.split('\n')[0]}` };
    const fits = message.includes(c.expect.fragment) && (kind === 'error' || kind === c.expect.kind);
    return { ok: fits, note: `${kind}: ${message.replace(/\s+/g, ' ').slice(0, 90)}` };
  }
  if (c.expect.kind !== 'accept') return { ok: false, note: `accepted (expected ${c.expect.kind})` };
  return { ok: c.expect.check(where), note: where.slice(0, 90) };
}

const rows = cases.map((c) => ({ c, a: run(ours, c), b: run(theirs, c) }));
console.log('| query | expected | emulator parser | @jetstreamapp/soql-parser-js |\n| --- | --- | --- | --- |');
for (const { c, a, b } of rows) {
  const expected = c.expect.kind === 'accept' ? `accept: ${c.expect.what}` : `${c.expect.kind} (${c.expect.fragment})`;
  const cell = (r: { ok: boolean; note: string }) => `${r.ok ? 'pass' : 'FAIL'}: ${r.note.replace(/\|/g, '\\|')}`;
  console.log(`| \`${c.text.slice(0, 60)}${c.text.length > 60 ? '…' : ''}\` | ${expected} | ${cell(a)} | ${cell(b)} |`);
}
const passes = (k: 'a' | 'b') => rows.filter((r) => r[k].ok).length;
console.log(
  `\nemulator parser: ${passes('a')}/${rows.length}; @jetstreamapp/soql-parser-js: ${passes('b')}/${rows.length}`,
);
