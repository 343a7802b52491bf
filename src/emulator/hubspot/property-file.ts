import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { HubSpotEmulatorConfigError } from './emulator-errors.js';
import type { HubSpotStore } from './hubspot-store.js';
import { PROPERTY_TYPES, type PropertyInput } from './property-definition.js';

const propertySchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/),
  type: z.enum(PROPERTY_TYPES),
  label: z.string().exactOptional(),
  fieldType: z.string().exactOptional(),
  groupName: z.string().exactOptional(),
  hasUniqueValue: z.boolean().exactOptional(),
  options: z.array(z.strictObject({ label: z.string(), value: z.string() })).exactOptional(),
});
const propertyFileSchema = z.record(z.string(), z.array(propertySchema));

/** Properties to create per object, as a HubSpot admin would in the properties settings: `{ "companies": [...] }`. */
export type HubSpotPropertySet = Readonly<Record<string, readonly PropertyInput[]>>;

/**
 * Reads a JSON file of properties to add (`{"companies":[{"name":"erp_customer_no","type":"string",
 * "hasUniqueValue":true}]}`, property shapes as `POST /crm/v3/properties/{object}` takes them). Throws
 * HubSpotEmulatorConfigError naming the file and every invalid entry.
 */
export async function readHubSpotPropertyFile(file: string): Promise<HubSpotPropertySet> {
  let input: unknown;
  try {
    input = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new HubSpotEmulatorConfigError(
      `cannot read the properties file ${file}: ${(error as Error).message}`,
      { file },
      error,
    );
  }
  const parsed = propertyFileSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new HubSpotEmulatorConfigError(
      `${file}: invalid properties: ${issues.join('; ')}. Shape: {"<object>":[{"name","type":${PROPERTY_TYPES.join('|')},"label"?,"hasUniqueValue"?,"options"?}]}`,
      { file, issues },
    );
  }
  return parsed.data;
}

/**
 * Creates the properties an object does not have yet (those restored from `--data` are kept as they are). Throws
 * HubSpotEmulatorConfigError for an object the emulator does not know. Returns how many were created.
 */
export function addHubSpotProperties(store: HubSpotStore, properties: HubSpotPropertySet): number {
  let created = 0;
  for (const [object, inputs] of Object.entries(properties)) {
    const type = store.type(object);
    if (type === undefined) {
      throw new HubSpotEmulatorConfigError(
        `properties for '${object}': the emulator has no such object; use contacts, companies, deals or a custom object`,
        { object },
      );
    }
    for (const input of inputs) {
      if (type.properties.has(input.name)) continue;
      store.createProperty(type, input);
      created += 1;
    }
  }
  return created;
}
