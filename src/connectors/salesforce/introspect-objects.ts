import type { CatalogEntity, CatalogFieldKind, EntityCatalog, IntrospectOptions } from '../entity-catalog.js';
import type { BulkClient, SObjectSummary } from './bulk-client.js';
import type { SObjectField } from './field-types.js';

const KIND_BY_TYPE: Readonly<Record<string, CatalogFieldKind>> = {
  id: 'id',
  reference: 'id',
  string: 'string',
  textarea: 'string',
  picklist: 'string',
  multipicklist: 'string',
  combobox: 'string',
  email: 'string',
  phone: 'string',
  url: 'string',
  encryptedstring: 'string',
  boolean: 'boolean',
  int: 'integer',
  long: 'integer',
  double: 'number',
  currency: 'number',
  percent: 'number',
  date: 'date',
  datetime: 'datetime',
};

/** Objects an integration usually maps, described even when an org has too many objects to describe them all. */
const USUAL_OBJECTS = ['Account', 'Contact', 'Lead', 'Opportunity', 'Product2', 'Case', 'Order', 'Contract', 'Asset'];
/** Objects that are never a mapping's target: history, sharing, feeds, change events, metadata. */
const NEVER = /(__History|__Share|__Feed|__Tag|ChangeEvent|__mdt|__e|__x|History|Share|Feed)$/;
/** The most describe calls one introspection makes. */
const MAX_DESCRIBES = 40;

/**
 * The org's mappable objects (queryable, createable, updateable) and their fields, through describeGlobal and one
 * describe per object. An org with more than MAX_DESCRIBES such objects gets the usual ones (Account, Contact...),
 * its custom objects and those whose names are close to `hints`.
 */
export async function introspectObjects(bulk: BulkClient, options: IntrospectOptions = {}): Promise<EntityCatalog> {
  const all = (await bulk.describeGlobal(options.signal)).filter(
    (o) => o.queryable && o.createable && o.updateable && !NEVER.test(o.name),
  );
  const chosen = all.length <= MAX_DESCRIBES ? all : preferred(all, options.hints ?? []).slice(0, MAX_DESCRIBES);
  const entities: CatalogEntity[] = [];
  for (const summary of chosen) {
    options.signal?.throwIfAborted();
    const described = await bulk.describe(summary.name, options.signal);
    entities.push(
      Object.freeze({
        name: summary.name,
        label: summary.label,
        primaryKey: ['Id'],
        fields: Object.freeze(described.fields.map(catalogField)),
      }),
    );
  }
  return Object.freeze({ entities: Object.freeze(entities) });
}

function preferred(all: readonly SObjectSummary[], hints: readonly string[]): SObjectSummary[] {
  const words = new Set(hints.map((h) => h.replace(/^.*\./, '').toLowerCase().replace(/s$/, '')));
  const rank = (o: SObjectSummary): number =>
    USUAL_OBJECTS.includes(o.name) ? 0 : words.has(o.name.toLowerCase().replace(/__c$/, '')) ? 1 : o.custom ? 2 : 3;
  return [...all].sort((a, b) => rank(a) - rank(b)).filter((o) => rank(o) < 3);
}

function catalogField(field: SObjectField) {
  const kind = KIND_BY_TYPE[field.type] ?? 'other';
  const writable = (field.createable ?? true) || (field.updateable ?? true);
  return Object.freeze({
    name: field.name,
    label: field.label ?? field.name,
    kind,
    nativeType: field.type,
    unique: field.unique === true || field.type === 'id',
    externalId: field.externalId === true,
    writable: writable && field.calculated !== true,
    // A field the server fills on create (booleans, system fields) is not required of tandem.
    nullable: (field.nillable ?? true) || field.defaultedOnCreate === true,
    modificationTime: field.name === 'SystemModstamp',
  });
}
