import { normalizeText } from '../mapping/string-pipeline.js';
import { fieldSchema, type FieldYaml } from './config-schema.js';
import type { PathIssue } from './env-references.js';
import { transformFromYaml } from './transform-from-yaml.js';

/**
 * Checks one object mapping (as written, after `${VAR}` substitution) for what a schema cannot see: native fields
 * mapped twice or mapping the sync key, split/join arity, transforms on a non-text type. Each field that is valid
 * on its own is checked, even when other parts of the object are not. Paths are relative to the object.
 */
export function checkObjectMapping(object: unknown): PathIssue[] {
  const raw = asMap(object);
  const fields = new Map<string, FieldYaml>();
  for (const [name, value] of Object.entries(asMap(raw['fields']))) {
    const parsed = fieldSchema.safeParse(value);
    if (parsed.success) fields.set(name, parsed.data);
  }
  const issues: PathIssue[] = [];
  for (const side of ['erp', 'crm'] as const) {
    const key = asMap(raw[side])[side === 'erp' ? 'key' : 'externalId'];
    const keyLabel = side === 'erp' ? 'erp.key' : 'crm.externalId';
    // Postgres folds unquoted names to lower case and Salesforce API names are case-insensitive: compare folded.
    const owners = new Map<string, string>();
    for (const [name, field] of fields) {
      for (const native of list(field[side])) {
        const folded = native.toLowerCase();
        if (typeof key === 'string' && folded === key.toLowerCase()) {
          issues.push({
            path: ['fields', name, side],
            message: `${side} field '${native}' is the sync key (${keyLabel}); tandem writes the key itself. Fix: remove it from fields`,
          });
          continue;
        }
        const owner = owners.get(folded);
        if (owner !== undefined && owner !== name) {
          issues.push({
            path: ['fields', name, side],
            message: `${side} field '${native}' is already mapped by field '${owner}'; each native field maps to one canonical field. Fix: remove one of the two`,
          });
        } else owners.set(folded, name);
      }
    }
  }
  for (const [name, field] of fields) issues.push(...checkField(field, ['fields', name]));
  return issues;
}

function asMap(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function checkField(field: FieldYaml, path: readonly (string | number)[]): PathIssue[] {
  const issues: PathIssue[] = [];
  const erp = list(field.erp).length;
  const crm = list(field.crm).length;
  const splits = field.transforms.flatMap((t, i) => (typeof t === 'object' && 'split' in t ? [i] : []));
  if (splits.length > 1) {
    issues.push({
      path: [...path, 'transforms', splits[1] ?? 0],
      message: 'only one split transform per field. Fix: remove the others',
    });
  }
  // Two phone transforms (say GB then US) are not idempotent together: the second re-reads the first's output in
  // another country, so a value would change again on every read. A number has one country and one format.
  const phones = field.transforms.flatMap((t, i) =>
    t === 'phone' || (typeof t === 'object' && 'phone' in t) ? [i] : [],
  );
  if (phones.length > 1) {
    issues.push({
      path: [...path, 'transforms', phones[1] ?? 0],
      message: 'only one phone transform per field (a number has one format and one default country). Fix: keep one',
    });
  }
  if (splits.length > 0) {
    if (!((erp === 1 && crm >= 2) || (crm === 1 && erp >= 2))) {
      issues.push({
        path: [...path, 'transforms', splits[0] ?? 0],
        message:
          `split joins several native fields on one side into one on the other; this field has ${erp} erp and ${crm} crm field(s). ` +
          'Fix: e.g. erp: contact_name, crm: [FirstName, LastName]',
      });
    }
  } else if (erp > 1 || crm > 1) {
    issues.push({
      path: [...path, erp > 1 ? 'erp' : 'crm'],
      message: `several ${erp > 1 ? 'erp' : 'crm'} fields map to one value only with a split transform. Fix: add transforms: [{ split: ' ' }] or map one field`,
    });
  }
  issues.push(...checkEnum(field, path));
  if (field.type !== 'string') {
    field.transforms.forEach((t, i) => {
      const name = typeof t === 'string' ? t : (Object.keys(t).find((k) => k !== 'unmapped') ?? '');
      issues.push({
        path: [...path, 'transforms', i],
        message: `transform '${name}' works on text, but the field's type is ${field.type}. Fix: remove the transform or use type: string`,
      });
    });
  }
  return issues;
}

// The canonical value of an enum field is the CRM's word; transforms before the enum normalise ERP values before
// the look-up. These rules keep `fromErp(toErp(c)) === c` (see mapping/string-pipeline.ts).
function checkEnum(field: FieldYaml, path: readonly (string | number)[]): PathIssue[] {
  const transforms = field.transforms.map(transformFromYaml);
  const enums = transforms.flatMap((t, i) => (t.kind === 'enum' ? [i] : []));
  const first = enums[0];
  if (first === undefined) return [];
  const at = [...path, 'transforms', first];
  if (enums.length > 1) return [{ path: at, message: 'only one enum transform per field. Fix: merge the maps' }];
  if (transforms.some((t) => t.kind === 'split-join')) {
    return [
      { path: at, message: 'enum and split do not combine. Fix: map each native field as its own canonical field' },
    ];
  }
  if (first !== transforms.length - 1) {
    return [
      {
        path: at,
        message:
          'enum must be the last transform (the ones before it normalise ERP values before the look-up). Fix: move it to the end',
      },
    ];
  }
  const map =
    transforms[first]?.kind === 'enum' ? (transforms[first] as { map: Readonly<Record<string, string>> }).map : {};
  const before = transforms.slice(0, first);
  return Object.keys(map).flatMap((key) => {
    const normalized = normalizeText(before, key);
    return normalized === key
      ? []
      : [
          {
            path: [...at, 'enum', key],
            at: 'key' as const,
            message: `enum key '${key}' can never match: the transforms before the enum turn it into '${normalized ?? ''}'. Fix: write the key as '${normalized ?? ''}'`,
          },
        ];
  });
}

function list(names: string | readonly string[]): readonly string[] {
  return typeof names === 'string' ? [names] : names;
}
