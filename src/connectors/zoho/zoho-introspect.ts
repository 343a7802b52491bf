import type {
  CatalogEntity,
  CatalogField,
  CatalogFieldKind,
  EntityCatalog,
  IntrospectOptions,
} from '../entity-catalog.js';
import type { ZohoField } from './zoho-fields.js';

const KIND_BY_TYPE: Readonly<Record<string, CatalogFieldKind>> = {
  text: 'string',
  textarea: 'string',
  email: 'string',
  phone: 'string',
  website: 'string',
  picklist: 'string',
  autonumber: 'string',
  integer: 'integer',
  bigint: 'integer',
  long: 'integer',
  double: 'number',
  currency: 'number',
  decimal: 'number',
  percent: 'number',
  boolean: 'boolean',
  date: 'date',
  datetime: 'datetime',
  lookup: 'id',
  ownerlookup: 'id',
};

/** Modules an integration usually maps, read first when an org has more than MAX_MODULES. */
const USUAL_MODULES = ['Accounts', 'Contacts', 'Leads', 'Deals', 'Products', 'Vendors'];
/** The most fields-metadata calls (1 credit each) one introspection makes. */
const MAX_MODULES = 25;

/** What introspection needs of the Zoho connector: the modules list and a module's fields (cached). */
export interface ZohoModuleAccess {
  modules(signal?: AbortSignal): Promise<unknown>;
  fields(module: string, signal?: AbortSignal): Promise<ReadonlyMap<string, ZohoField>>;
}

/**
 * The org's record modules (API-supported, default or custom: not web tabs, linking modules or subforms) and their
 * fields, through the modules list and one fields-metadata call per module. An org with more than MAX_MODULES gets
 * the usual ones, those close to `hints` and its custom modules.
 */
export async function introspectZohoModules(
  access: ZohoModuleAccess,
  options: IntrospectOptions = {},
): Promise<EntityCatalog> {
  const body = (await access.modules(options.signal)) as { modules?: unknown } | null;
  const listed = Array.isArray(body?.modules) ? (body.modules as Record<string, unknown>[]) : [];
  const modules = listed.flatMap((m) => {
    const name = m['api_name'];
    if (typeof name !== 'string' || m['api_supported'] === false) return [];
    const type = typeof m['generated_type'] === 'string' ? m['generated_type'] : 'default';
    if (type !== 'default' && type !== 'custom') return [];
    const label = typeof m['plural_label'] === 'string' ? m['plural_label'] : name;
    return [{ name, label, custom: type === 'custom' }];
  });
  const words = new Set((options.hints ?? []).map((h) => h.replace(/^.*\./, '').toLowerCase().replace(/s$/, '')));
  const rank = (m: { name: string; custom: boolean }): number =>
    USUAL_MODULES.includes(m.name) ? 0 : words.has(m.name.toLowerCase().replace(/s$/, '')) ? 1 : m.custom ? 2 : 3;
  const chosen =
    modules.length <= MAX_MODULES ? modules : [...modules].sort((a, b) => rank(a) - rank(b)).slice(0, MAX_MODULES);
  const entities: CatalogEntity[] = [];
  for (const module of chosen) {
    options.signal?.throwIfAborted();
    const fields = await access.fields(module.name, options.signal);
    entities.push(
      Object.freeze({
        name: module.name,
        label: module.label,
        primaryKey: ['id'],
        fields: Object.freeze([...fields.values()].map(catalogField)),
      }),
    );
  }
  return Object.freeze({ entities: Object.freeze(entities) });
}

function catalogField(field: ZohoField): CatalogField {
  return Object.freeze({
    name: field.apiName,
    label: field.label,
    kind: KIND_BY_TYPE[field.dataType] ?? 'other',
    nativeType: field.dataType,
    unique: field.unique,
    // Zoho upserts (Bulk Write find_by, REST duplicate_check_fields) by a unique field.
    externalId: field.unique && !field.readOnly,
    writable: !field.readOnly,
    nullable: !field.mandatory,
    modificationTime: field.apiName === 'Modified_Time',
  });
}
