/**
 * U+0000 (NUL) is the one character Postgres cannot store: a `text` value with it is refused (22021) and a `jsonb`
 * value with `\u0000` too (22P05). Every free text tandem stores (error messages, reasons, rules, job details)
 * passes through `storableText`, which writes each NUL as the six visible characters `\u0000`.
 */
const NUL = '\u0000';

/** `text` with every U+0000 written as the visible escape `\u0000`; the same string when it has none. */
export function storableText(text: string): string {
  return text.includes(NUL) ? text.replaceAll(NUL, '\\u0000') : text;
}

/** `text` without its U+0000 characters (the rule for field values: see docs/spec.md, I14). */
export function withoutNul(text: string): string {
  return text.includes(NUL) ? text.replaceAll(NUL, '') : text;
}

/** Whether `text` holds a U+0000. */
export function hasNul(text: string): boolean {
  return text.includes(NUL);
}

/** A JSON.stringify replacer that makes every string value storable (see storableText). */
export function storableJsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? storableText(value) : value;
}
