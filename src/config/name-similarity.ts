import { editDistance } from '../util/closest-match.js';

/**
 * How alike two native names are, across the naming styles of the two sides: `billing_city` and `BillingCity`,
 * `email` and `Email__c`, `customers` and `Customer`, `customer_no` and `CustomerNumber`. Pure.
 */

/** Words that name the same thing in ERP and CRM vocabularies (each maps to the first of its group). */
const SYNONYMS: readonly (readonly string[])[] = [
  ['account', 'customer', 'company', 'client', 'organization', 'organisation'],
  ['contact', 'person', 'people'],
  ['number', 'no', 'nr', 'num'],
  ['phone', 'tel', 'telephone'],
  ['employee', 'headcount', 'staff'],
  ['postalcode', 'zip', 'zipcode', 'postcode'],
  ['website', 'url', 'web', 'homepage'],
  ['title', 'jobtitle'],
  ['revenue', 'turnover'],
  ['quantity', 'qty'],
  ['address', 'addr'],
];

const CANONICAL = new Map<string, string>(SYNONYMS.flatMap((group) => group.map((w) => [w, group[0] ?? w])));

/** `people` and `persons`, `companies`, `addresses`: one word per thing, singular. */
function singular(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (/(ss|us|is)$/.test(word)) return word;
  if (/(sses|xes|ches|shes)$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

/**
 * The words of a native name, lower case, singular and with synonyms folded: the schema (`public.`), Salesforce's
 * `__c` suffix and separators go; camelCase splits.
 *
 * @example
 * ```ts
 * nameWords('public.customers') // ['account']
 * nameWords('NumberOfEmployees') // ['number', 'of', 'employee']
 * nameWords('Email__c') // ['email']
 * ```
 */
export function nameWords(name: string): string[] {
  const bare = name.replace(/^.*\./, '').replace(/__c$/i, '');
  return bare
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase())
    .map(singular)
    .map((w) => CANONICAL.get(w) ?? w);
}

/**
 * A score from 0 (unrelated) to 1 (the same name in another style):
 * - 1: the same words (`billing_city` ~ `BillingCity`, `email` ~ `Email__c`, `customers` ~ `Account`);
 * - 0.9: one typo apart once joined (`adress` ~ `Address`);
 * - 0.7: one name's words all found in the other's, the last one included (`city` ~ `BillingCity`, `employees` ~
 *   `NumberOfEmployees`);
 * - 0.5: they share their last word (`home_phone` ~ `MobilePhone`);
 * - otherwise 0.
 */
export function nameSimilarity(a: string, b: string): number {
  const x = nameWords(a);
  const y = nameWords(b);
  if (x.length === 0 || y.length === 0) return 0;
  const joinedX = x.join('');
  const joinedY = y.join('');
  if (joinedX === joinedY) return 1;
  if (Math.min(joinedX.length, joinedY.length) >= 5 && editDistance(joinedX, joinedY) <= 1) return 0.9;
  const [shorter, longer] = x.length <= y.length ? [x, y] : [y, x];
  const lastShort = shorter[shorter.length - 1];
  const lastLong = longer[longer.length - 1];
  if (shorter.every((w) => longer.includes(w)) && lastShort === lastLong) return 0.7;
  if (lastShort === lastLong && lastShort !== 'id' && lastShort !== 'number' && lastShort !== 'name') return 0.5;
  return 0;
}
