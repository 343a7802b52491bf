import escapeHtml from 'escape-html';

/**
 * HTML that is safe to put in a page as is: the result of the `html` template tag (or `raw`, for markup that is
 * known to be safe). Anything else interpolated into `html` is escaped.
 */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A value the `html` tag accepts: text and numbers are escaped; SafeHtml is kept; lists are joined; nullish is empty. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/**
 * The console's templates: a tagged template whose every interpolation is HTML-escaped (escape-html), attribute
 * values included, unless it is SafeHtml from another `html` call.
 *
 * @example
 * ```ts
 * html`<td title="${reason}">${key}</td>` // reason and key are escaped
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Markup that is already safe (constant markup, never user data). */
export function raw(text: string): SafeHtml {
  return new SafeHtml(text);
}

/** JSON for a `<script type="application/json">` block: `<`, `>` and `&` as \u escapes, so it cannot end the block. */
export function jsonForScript(value: unknown): SafeHtml {
  return new SafeHtml(
    JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029'),
  );
}
