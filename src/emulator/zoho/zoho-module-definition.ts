import { z } from 'zod';
import { ZohoEmulatorConfigError } from './zoho-emulator-errors.js';

/** Field data types the emulator knows (Zoho's `data_type` values). */
export const ZOHO_DATA_TYPES = [
  'text',
  'textarea',
  'email',
  'phone',
  'picklist',
  'integer',
  'bigint',
  'double',
  'currency',
  'boolean',
  'date',
  'datetime',
] as const;
export type ZohoDataType = (typeof ZOHO_DATA_TYPES)[number];

const fieldSchema = z
  .object({
    api_name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/),
    data_type: z.enum(ZOHO_DATA_TYPES),
    length: z.number().int().positive().optional(),
    /** Zoho: "do not allow duplicate values" (usable as `find_by` and in `duplicate_check_fields`). */
    unique: z.boolean().default(false),
    system_mandatory: z.boolean().default(false),
    read_only: z.boolean().default(false),
  })
  .strict();

const moduleSchema = z
  .object({
    api_name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/),
    /** The field whose value is the record's `display_name` (Last_Name, Name...). */
    display_field: z.string().optional(),
    fields: z.array(fieldSchema).min(1),
  })
  .strict();

export const moduleDefinitionsSchema = z.object({ modules: z.array(moduleSchema).min(1) }).strict();

export type ZohoFieldDefinition = z.output<typeof fieldSchema>;
export type ZohoModuleDefinition = z.output<typeof moduleSchema>;
export type ZohoModuleDefinitionInput = z.input<typeof moduleSchema>;

/** Fields every module has; Zoho keeps them itself (read-only to API writes). */
export const SYSTEM_FIELDS: readonly ZohoFieldDefinition[] = Object.freeze([
  { api_name: 'Created_Time', data_type: 'datetime', unique: false, system_mandatory: false, read_only: true },
  { api_name: 'Modified_Time', data_type: 'datetime', unique: false, system_mandatory: false, read_only: true },
]);

/** The modules served when no definitions are given: Contacts and Accounts with a unique ERP key field each. */
export const DEFAULT_MODULES: readonly ZohoModuleDefinitionInput[] = Object.freeze([
  {
    api_name: 'Contacts',
    display_field: 'Last_Name',
    fields: [
      { api_name: 'ERP_Customer_No', data_type: 'text', length: 80, unique: true },
      { api_name: 'First_Name', data_type: 'text', length: 40 },
      { api_name: 'Last_Name', data_type: 'text', length: 80, system_mandatory: true },
      { api_name: 'Email', data_type: 'email', length: 100 },
      { api_name: 'Phone', data_type: 'phone', length: 30 },
      { api_name: 'Date_of_Birth', data_type: 'date' },
      { api_name: 'Full_Name', data_type: 'text', length: 120, read_only: true },
    ],
  },
  {
    api_name: 'Accounts',
    display_field: 'Account_Name',
    fields: [
      { api_name: 'ERP_Account_No', data_type: 'text', length: 80, unique: true },
      { api_name: 'Account_Name', data_type: 'text', length: 120, system_mandatory: true },
      { api_name: 'Phone', data_type: 'phone', length: 30 },
      { api_name: 'Website', data_type: 'text', length: 255 },
      { api_name: 'Annual_Revenue', data_type: 'currency' },
      { api_name: 'Employees', data_type: 'integer' },
    ],
  },
]);

/** Validates module definitions (options or the admin API); throws ZohoEmulatorConfigError listing every issue. */
export function parseModuleDefinitions(input: unknown, source: string): ZohoModuleDefinition[] {
  const parsed = moduleDefinitionsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ZohoEmulatorConfigError(
      `${source}: invalid module definitions: ${issues.join('; ')}. Shape: {"modules":[{"api_name","fields":[{"api_name","data_type":${ZOHO_DATA_TYPES.join('|')},"length"?,"unique"?,"system_mandatory"?,"read_only"?}]}]}`,
      { source, issues },
    );
  }
  for (const module of parsed.data.modules) {
    const names = new Set<string>();
    for (const field of [...module.fields, ...SYSTEM_FIELDS]) {
      const lower = field.api_name.toLowerCase();
      if (names.has(lower) || lower === 'id') {
        throw new ZohoEmulatorConfigError(
          `${source}: module ${module.api_name} declares field ${field.api_name} twice (or a reserved name: id, Created_Time, Modified_Time)`,
          { source, module: module.api_name, field: field.api_name },
        );
      }
      names.add(lower);
    }
  }
  return parsed.data.modules.map((m) => ({ ...m, fields: [...m.fields, ...SYSTEM_FIELDS] }));
}
