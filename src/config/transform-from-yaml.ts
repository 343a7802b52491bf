import type { TransformYaml } from './config-schema.js';
import { DEFAULTS } from './config-schema.js';
import type { Transform } from './tandem-config.js';

/** A transform as written (`trim`, `{ phone: {...} }`, `{ enum: {...}, unmapped }`, `{ split: ' ' }`) -> Transform. */
export function transformFromYaml(t: TransformYaml): Transform {
  if (typeof t === 'string') {
    return t === 'phone'
      ? { kind: 'phone', format: DEFAULTS.phoneFormat, defaultCountry: DEFAULTS.phoneCountry }
      : { kind: t };
  }
  if ('phone' in t) {
    return {
      kind: 'phone',
      format: t.phone?.format ?? DEFAULTS.phoneFormat,
      defaultCountry: t.phone?.defaultCountry ?? DEFAULTS.phoneCountry,
    };
  }
  if ('enum' in t) return { kind: 'enum', map: { ...t.enum }, unmapped: t.unmapped === 'pass' ? 'pass' : 'null' };
  return { kind: 'split-join', separator: t.split };
}
