import { z } from 'zod';
import { defaultConnectorRegistry } from '../connectors/builtin-connectors.js';
import type { ConnectorRegistry } from '../connectors/connector-registry.js';
import { documentedTandemYamlSchema } from './config-schema.js';

/**
 * The JSON Schema (draft 2020-12) of tandem.yaml as written, generated from the zod schema and the registered
 * connectors' settings (`erp:` / `crm:` are unions on `type`), for editors
 * (`# yaml-language-server: $schema=...`). `scripts/generate-config-schema.ts` writes it to docs/tandem.schema.json.
 *
 * @example
 * ```ts
 * writeFileSync('docs/tandem.schema.json', JSON.stringify(configJsonSchema(), null, 2) + '\n')
 * ```
 */
export function configJsonSchema(registry: ConnectorRegistry = defaultConnectorRegistry): object {
  // `input`: what a person writes (defaults are optional keys); refinements (cron, one-to-one maps) cannot be expressed.
  const schema = z.toJSONSchema(documentedTandemYamlSchema(registry), { io: 'input', unrepresentable: 'any' });
  return { ...schema, $id: 'https://tandem.dev/schema/tandem.schema.json', title: 'tandem.yaml' };
}
