import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { lockDirectory } from '../../util/directory-lock.js';
import type { Logger } from '../../util/logger.js';
import type { Connector } from '../connector.js';
import type { ConnectorDescriptor, ConnectorOpenDeps } from '../connector-descriptor.js';
import { nonEmpty, strictSettings } from '../settings-schema.js';
import { postgresStreamOptionsSchema, sqlColumnName, sqlName, sqlTableName } from './postgres-connector-config.js';
import { PostgresConnector } from './postgres-connector.js';
import type { PgliteLike } from './pglite-sql-client.js';

/** tandem.yaml's `erp:` section for `type: postgres` (without `type`): a server (`url`) or an embedded `dataDir`. */
export const postgresSettingsSchema = strictSettings({
  url: z.string().nullish().describe('Postgres URL of the ERP database, e.g. ${ERP_DATABASE_URL}. Set url or dataDir.'),
  dataDir: z
    .string()
    .nullish()
    .describe('Folder of an embedded (PGlite) ERP database, relative to this file (demos, tests). Set url or dataDir.'),
  tandemSchema: sqlName('erp.tandemSchema')
    .default('tandem')
    .describe("Schema in the ERP for tandem's change log and triggers."),
  batchSize: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(5000)
    .describe('Rows per page read and per write transaction.'),
  statementTimeoutMs: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('statement_timeout for every statement tandem runs in the ERP, in milliseconds. Default: none.'),
  timeZone: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/, {
      error: 'erp.timeZone must be a time zone name, e.g. America/New_York or UTC',
    })
    .nullish()
    .describe(
      "Time zone of the ERP's `timestamp without time zone` values, e.g. America/New_York; default: the database's TimeZone setting. tandem's ERP sessions use it.",
    ),
}).superRefine((settings, ctx) => {
  const hasUrl = (settings.url ?? '') !== '';
  const hasDir = (settings.dataDir ?? '') !== '';
  if (hasUrl !== hasDir) return;
  ctx.addIssue({
    code: 'custom',
    path: [],
    params: { at: 'key' },
    message: hasUrl
      ? 'erp has both url and dataDir. Fix: keep url for a Postgres server, or dataDir for an embedded database'
      : 'erp needs url (a Postgres server, e.g. url: ${ERP_DATABASE_URL}) or dataDir (an embedded database, e.g. dataDir: .tandem/erp)',
  });
});

/** The validated `erp:` settings of `type: postgres`. */
export type PostgresSettings = z.output<typeof postgresSettingsSchema>;

/** The Postgres descriptor, plus a way to open it on an embedded database the caller already holds (the demo). */
export interface PostgresConnectorDescriptor extends ConnectorDescriptor<PostgresSettings> {
  /** Opens the connector on a PGlite instance the caller keeps (and closes) itself; `url` and `dataDir` are ignored. */
  openOn(pglite: PgliteLike, settings: PostgresSettings, deps: Pick<ConnectorOpenDeps, 'logger'>): Promise<Connector>;
}

function commonOf(settings: PostgresSettings) {
  return {
    tandemSchema: settings.tandemSchema,
    batchSize: settings.batchSize,
    ...(settings.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: settings.statementTimeoutMs }),
    ...(settings.timeZone ? { timeZone: settings.timeZone } : {}),
  };
}

async function openEmbedded(dataDir: string, settings: PostgresSettings, logger: Logger): Promise<Connector> {
  await mkdir(dataDir, { recursive: true });
  // One process per data directory: two PGlite instances on one folder corrupt it.
  const unlock = await lockDirectory(dataDir, {
    what: 'the embedded ERP database',
    alternative: 'point erp.url at a Postgres server',
  });
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = new PGlite(dataDir);
  await pglite.waitReady.catch(async (error: unknown) => {
    await unlock();
    throw error;
  });
  const connector = new PostgresConnector({ pglite, ...commonOf(settings) }, { logger });
  const close = connector.close.bind(connector);
  connector.close = async () => {
    try {
      await close();
      if (!pglite.closed) await pglite.close();
    } finally {
      await unlock();
    }
  };
  return connector;
}

/**
 * `erp: { type: postgres, ... }`: a Postgres database, or an embedded PGlite in `dataDir` (see
 * docs/postgres-connector.md). Tables and columns are plain SQL names; a table without a schema is in `public`.
 */
export const postgresConnector: PostgresConnectorDescriptor = {
  type: 'postgres',
  sides: ['erp'],
  settings: postgresSettingsSchema,
  fieldName: sqlColumnName,
  entityName: sqlTableName,
  streamOptions: postgresStreamOptionsSchema,
  connection: {
    urlEnv: 'ERP_DATABASE_URL',
    env: [],
    // A folder instead of a URL: an embedded (PGlite) database, e.g. one made from examples/erp-schema.sql.
    section: (url) => (/^\$\{|:\/\//.test(url) ? `  url: ${url}\n` : `  dataDir: ${JSON.stringify(url)}\n`),
  },
  open: async (settings, deps) => {
    if (settings.url)
      return new PostgresConnector({ url: settings.url, ...commonOf(settings) }, { logger: deps.logger });
    return openEmbedded(resolve(deps.baseDir, nonEmpty('erp.dataDir').parse(settings.dataDir)), settings, deps.logger);
  },
  openOn: (pglite, settings, deps) =>
    Promise.resolve(new PostgresConnector({ pglite, ...commonOf(settings) }, { logger: deps.logger })),
};
