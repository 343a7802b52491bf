import type { Transform } from '../config/tandem-config.js';
import { formatPhone } from './phone-number.js';

/**
 * The text side of a field's transforms, as two functions over strings. The canonical value of a field with an
 * `enum` is in the CRM's vocabulary; the transforms before the enum normalise ERP values before they are looked up.
 *
 * - `fromErp(value)`: an ERP value -> canonical.
 * - `normalize(value)`: a CRM or canonical value -> canonical (what `fromCrm` is). Idempotent.
 * - `toErp(canonical)`: canonical -> the ERP value (the enum's inverse); `toCrm` is `normalize`.
 *
 * The empty string becomes null at every step. Config validation guarantees at most one enum, last in the list, not
 * with split, and keys that the transforms before it leave unchanged: those make `fromErp(toErp(c)) === c` hold.
 */
export interface StringPipeline {
  fromErp(value: string | null): string | null;
  normalize(value: string | null): string | null;
  toErp(value: string | null): string | null;
}

type Step = (text: string) => string;

/** A normalising step for every transform but `enum` (`split-join` collapses empty parts here; joining is elsewhere). */
export function normalizingStep(transform: Exclude<Transform, { kind: 'enum' }>): Step {
  switch (transform.kind) {
    case 'trim':
      return (text) => text.trim();
    case 'lowercase':
      return (text) => text.toLowerCase();
    case 'uppercase':
      return (text) => text.toUpperCase();
    case 'phone':
      return (text) => formatPhone(text, transform.format, transform.defaultCountry);
    case 'split-join':
      // Normal form: no empty parts, so no leading, trailing or doubled separators.
      return (text) =>
        text
          .split(transform.separator)
          .filter((part) => part !== '')
          .join(transform.separator);
  }
}

/** Applies the normalising steps in order; '' (at any step) becomes null. */
export function normalizeText(transforms: readonly Transform[], value: string | null): string | null {
  let text = value;
  for (const transform of transforms) {
    if (text === null || text === '') return null;
    if (transform.kind !== 'enum') text = normalizingStep(transform)(text);
  }
  return text === '' ? null : text;
}

export function createStringPipeline(transforms: readonly Transform[]): StringPipeline {
  const enumTransform = transforms.find((t): t is Extract<Transform, { kind: 'enum' }> => t.kind === 'enum');
  const steps = transforms.filter((t) => t.kind !== 'enum');
  if (enumTransform === undefined) {
    const normalize = (value: string | null) => normalizeText(steps, value);
    return { fromErp: normalize, normalize, toErp: normalize };
  }
  const map = new Map(Object.entries(enumTransform.map));
  const inverse = new Map([...map].map(([erp, crm]) => [crm, erp]));
  const lookUp = (erpValue: string | null): string | null => {
    if (erpValue === null) return null;
    const mapped = map.get(erpValue);
    if (mapped !== undefined) return mapped;
    return enumTransform.unmapped === 'pass' ? erpValue : null;
  };
  const fromErp = (value: string | null) => lookUp(normalizeText(steps, value));
  // A CRM value is canonical as it is; anything else is read as an ERP value (so an ERP code typed into the CRM maps).
  const normalize = (value: string | null) => (value !== null && inverse.has(value) ? value : fromErp(value));
  const toErp = (value: string | null) => {
    const canonical = normalize(value);
    return canonical === null ? null : (inverse.get(canonical) ?? canonical);
  };
  return { fromErp, normalize, toErp };
}
