import type { CatalogField, CatalogFieldKind, EntityCatalog, IntrospectOptions } from '../entity-catalog.js';
import { modifiedPropertyOf, type PropertyInfo } from './property-schema.js';

const KIND_BY_TYPE: Readonly<Record<string, CatalogFieldKind>> = {
  string: 'string',
  enumeration: 'string',
  phone_number: 'string',
  number: 'number',
  bool: 'boolean',
  date: 'date',
  datetime: 'datetime',
};

/** The standard objects an integration maps; custom objects come from the schemas API when it answers. */
const STANDARD_OBJECTS: readonly { name: string; label: string }[] = [
  { name: 'contacts', label: 'Contacts' },
  { name: 'companies', label: 'Companies' },
  { name: 'deals', label: 'Deals' },
];

/** What introspection needs of the HubSpot connector. */
export interface HubSpotObjectCatalogAccess {
  /** Custom objects (`GET /crm/v3/schemas`): name and plural label; empty when the account has none or no access. */
  customObjects(signal?: AbortSignal): Promise<readonly { name: string; label: string }[]>;
  properties(entity: string, signal?: AbortSignal): Promise<ReadonlyMap<string, PropertyInfo>>;
}

/**
 * The account's objects (contacts, companies, deals and its custom objects) with their properties, through the
 * properties API: a property with unique values is an external ID candidate (HubSpot upserts by it, its idProperty),
 * calculated and read-only ones are not writable, `hs_object_id` is the record id.
 */
export async function introspectHubSpotObjects(
  access: HubSpotObjectCatalogAccess,
  options: IntrospectOptions = {},
): Promise<EntityCatalog> {
  const objects = [...STANDARD_OBJECTS, ...(await access.customObjects(options.signal))];
  const entities = [];
  for (const object of objects) {
    options.signal?.throwIfAborted();
    const properties = await access.properties(object.name, options.signal);
    const modified = modifiedPropertyOf(object.name, properties);
    entities.push(
      Object.freeze({
        name: object.name,
        label: object.label,
        primaryKey: ['hs_object_id'],
        fields: Object.freeze([...properties.values()].map((p) => catalogField(p, modified))),
      }),
    );
  }
  return Object.freeze({ entities: Object.freeze(entities) });
}

function catalogField(property: PropertyInfo, modified: string): CatalogField {
  return Object.freeze({
    name: property.name,
    label: property.label,
    kind: property.name === 'hs_object_id' ? 'id' : (KIND_BY_TYPE[property.type] ?? 'other'),
    nativeType: property.fieldType === property.type ? property.type : `${property.type} (${property.fieldType})`,
    unique: property.hasUniqueValue,
    externalId: property.hasUniqueValue && !property.readOnly,
    writable: !property.readOnly,
    // HubSpot requires no property on create (the UI's required fields do not bind the API).
    nullable: true,
    modificationTime: property.name === modified,
  });
}
