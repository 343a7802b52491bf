import type { z } from 'zod';
import type { SystemId } from '../model/system.js';
import type { Logger } from '../util/logger.js';
import type { Connector } from './connector.js';

/**
 * What a connector module exports so that tandem can choose it by `type:` in tandem.yaml, in the spirit of Kysely's
 * `Dialect`: one small object per system. Everything about a system (its settings, its field names, how it opens)
 * lives in `connectors/<name>/`; the engine only looks descriptors up in the registry.
 *
 * @example
 * ```ts
 * export const hubspotConnector: ConnectorDescriptor<HubSpotSettings> = {
 *   type: 'hubspot',
 *   sides: ['crm'],
 *   settings: hubspotSettingsSchema,
 *   fieldName: z.string().regex(/^[a-z0-9_]+$/),
 *   open: async (settings, deps) => new HubSpotConnector(settings, deps),
 * }
 * ```
 */
export interface ConnectorDescriptor<Settings = unknown> {
  /** The value of `erp.type` / `crm.type` that selects this connector, e.g. `salesforce`. */
  readonly type: string;
  /** The sides it can serve. */
  readonly sides: readonly SystemId[];
  /**
   * The single declaration of its settings: the keys under `erp:` / `crm:` besides `type`, as written in
   * tandem.yaml after `${ENV}` substitution. A strict zod object (unknown keys are reported), with defaults.
   */
  readonly settings: z.ZodType<Settings>;
  /**
   * A native field name on this system (a SQL column, a Salesforce API name, a HubSpot property), checked for every
   * mapped field and key at config time. Absent: any non-empty string.
   */
  readonly fieldName?: z.ZodType<string>;
  /** The native entity name (table, object). Absent: any non-empty string. */
  readonly entityName?: z.ZodType<string>;
  /** Per-stream options (`objects[].erp.options` / `objects[].crm.options`). Absent: none allowed. */
  readonly streamOptions?: z.ZodType;
  /**
   * The body of its tandem.yaml section after `type:` (two-space indented, commented), which `tandem init --crm <type>`
   * writes. Secrets only as `\${VAR}` references. Absent: a comment pointing at the connector's documentation.
   */
  readonly example?: string;
  /** Opens the connector; must not do network I/O beyond what `Connector.init` needs. */
  open(settings: Settings, deps: ConnectorOpenDeps): Promise<Connector>;
}

export interface ConnectorOpenDeps {
  /** The side this connector serves in this sync. */
  readonly system: SystemId;
  readonly logger: Logger;
  /** Folder of the tandem.yaml being used, for settings that are relative paths. */
  readonly baseDir: string;
}
