import type { CallOptions, Connector, ConnectorCapabilities } from '../connector.js';
import type { StreamRef } from '../../model/stream.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import {
  installLogStatements,
  installTriggerStatements,
  isCaptureInstalled,
  logTable,
  logTableName,
  uninstallTriggerStatements,
} from './change-log.js';
import {
  parseConnectorConfig,
  parseStreamSettings,
  type PostgresConnectorConfig,
  type PostgresConnectorConfigInput,
} from './postgres-connector-config.js';
import { CaptureNotInstalledError, PostgresConfigError } from './postgres-errors.js';
import { PgSqlClient } from './pg-sql-client.js';
import { PgliteSqlClient } from './pglite-sql-client.js';
import { PostgresSink } from './postgres-sink.js';
import { PostgresSource } from './postgres-source.js';
import { sessionTimeZone } from './naive-timestamps.js';
import { sqlState, type SqlClient } from './sql-client.js';
import { buildPlan, type StreamPlan } from './stream-plan.js';
import { checkTableShape, readTableShape } from './table-shape.js';
import type { EntityCatalog, Introspection, IntrospectOptions } from '../entity-catalog.js';
import { introspectTables } from './introspect-tables.js';

export interface PostgresConnectorOptions {
  readonly logger?: Logger;
}

/**
 * The ERP side: a Postgres database (or PGlite, embedded). Reads changes by watermark or change-log capture, lists
 * keys for reconciliation, and writes upserts/deletes transactionally. See docs/postgres-connector.md.
 *
 * @example
 * ```ts
 * const erp = new PostgresConnector({ url: 'postgres://tandem@erp:5432/erp', batchSize: 5000 })
 * const stream = { name: 'account', entity: 'public.customers', keyField: 'external_id', fields: ['name'],
 *                  options: { capture: 'changelog', deletes: 'soft-delete', softDeleteColumn: 'deleted_at' } }
 * await erp.installCapture(stream)   // changelog mode only, once
 * await erp.init([stream])
 * for await (const batch of erp.createSource().readChanges(stream, undefined, {})) console.log(batch.records.length)
 * await erp.close()
 * ```
 */
export class PostgresConnector implements Connector, Introspection {
  readonly system = 'erp' as const;
  readonly capabilities: ConnectorCapabilities;
  readonly config: Omit<PostgresConnectorConfig, 'url' | 'pglite'>;
  readonly #client: SqlClient;
  readonly #logger: Logger;
  readonly #plans = new Map<string, Promise<StreamPlan>>();
  #sessionConfigured: Promise<void> | undefined;

  constructor(config: PostgresConnectorConfigInput, options: PostgresConnectorOptions = {}) {
    const parsed = parseConnectorConfig(config);
    this.config = Object.freeze({
      tandemSchema: parsed.tandemSchema,
      batchSize: parsed.batchSize,
      ...(parsed.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: parsed.statementTimeoutMs }),
      ...(parsed.timeZone === undefined ? {} : { timeZone: parsed.timeZone }),
    });
    this.#client =
      'url' in parsed
        ? PgSqlClient.fromUrl(parsed.url, {
            ...(parsed.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: parsed.statementTimeoutMs }),
            ...(parsed.timeZone === undefined ? {} : { timeZone: parsed.timeZone }),
          })
        : new PgliteSqlClient(parsed.pglite);
    this.#logger = options.logger ?? silentLogger();
    this.capabilities = Object.freeze({
      supportsKeyListing: true,
      // Watermark streams see only soft deletes; hard deletes need key reconciliation, so say no for the whole connector.
      reportsDeletes: false,
      maxBatchSize: parsed.batchSize,
    });
  }

  /** The SQL client, for tests and tools that need to run their own statements on the same database. */
  get client(): SqlClient {
    return this.#client;
  }

  async init(streams: readonly StreamRef[], options: CallOptions = {}): Promise<void> {
    for (const stream of streams) {
      options.signal?.throwIfAborted();
      this.#plans.delete(stream.name);
      const plan = await this.plan(stream);
      if (
        plan.settings.capture === 'changelog' &&
        !(await isCaptureInstalled(this.#client, this.config.tandemSchema, plan.settings))
      ) {
        throw new CaptureNotInstalledError(
          `object ${stream.name}: capture: changelog is configured but the capture triggers on ${plan.settings.table.schema}.` +
            `${plan.settings.table.table} (or ${this.config.tandemSchema}.change_log) are missing. Fix: run ` +
            `\`tandem erp install-capture --object ${stream.name}\` with a role that may create triggers on the table.`,
          { object: stream.name, table: logTableName(plan.settings), tandemSchema: this.config.tandemSchema },
        );
      }
      if (plan.updatedAt?.kind === 'timestamp') await this.#warnNaive(plan);
      if (plan.settings.capture === 'watermark') {
        const [u, pk] = [plan.settings.updatedAt, plan.settings.primaryKey];
        if (!plan.shape.indexes.some((ix) => ix[0] === u && (ix.length === 1 || ix[1] === pk))) {
          this.#logger.warn(
            { object: stream.name, table: logTableName(plan.settings), column: u },
            `no index starts with (${u}, ${pk}): every incremental read scans the table; create one`,
          );
        }
      }
    }
  }

  /** The stream's validated settings and table shape (checked against the database once, then cached). */
  plan(stream: StreamRef): Promise<StreamPlan> {
    let plan = this.#plans.get(stream.name);
    if (plan === undefined) {
      plan = this.#buildPlan(stream);
      this.#plans.set(stream.name, plan);
      plan.catch(() => this.#plans.delete(stream.name));
    }
    return plan;
  }

  async #buildPlan(stream: StreamRef): Promise<StreamPlan> {
    await this.#configureSession();
    const settings = parseStreamSettings(stream);
    const shape = await readTableShape(this.#client, settings);
    let existing: string[] = [];
    if (shape === undefined) {
      const { rows } = await this.#client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1 LIMIT 50`,
        [settings.table.schema],
      );
      existing = rows.map((r) => r.name);
    }
    return buildPlan(settings, checkTableShape(shape, settings, existing));
  }

  /** A mapped `updatedAt` without time zone: say which zone tandem reads it in (docs/postgres-connector.md). */
  async #warnNaive(plan: StreamPlan): Promise<void> {
    const zone = await sessionTimeZone(this.#client);
    this.#logger.warn(
      { object: plan.settings.object, table: logTableName(plan.settings), column: plan.settings.updatedAt, zone },
      `${plan.settings.updatedAt} is timestamp without time zone: tandem reads its values as ${zone} local time ` +
        `(${this.config.timeZone === undefined ? "the database's TimeZone" : 'erp.timeZone'}). If the application ` +
        `writes them in another zone, set erp.timeZone; values written in the repeated hour of a DST fall-back read ` +
        `as standard time. timestamptz has neither problem`,
    );
  }

  /**
   * PGlite has no pool options: apply statement_timeout and TimeZone on its single session once (the pg pool sets
   * them per connection). An unknown time zone fails here, with the name.
   */
  #configureSession(): Promise<void> {
    this.#sessionConfigured ??= (async () => {
      const ms = this.config.statementTimeoutMs;
      if (this.#client.dialect === 'pglite' && ms !== undefined) {
        await this.#client.query(`SELECT set_config('statement_timeout', $1, false)`, [String(ms)]);
      }
      const zone = this.config.timeZone;
      if (zone === undefined) return;
      // On a server the zone is a connection option: an unknown one refuses the connection (22023).
      const known = await this.#client
        .query<{ ok: boolean | string }>(`SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS ok`, [
          zone,
        ])
        .then(
          ({ rows }) => rows[0]?.ok === true || rows[0]?.ok === 't',
          (thrown: unknown) => {
            if (sqlState(thrown) === '22023') return false;
            throw thrown;
          },
        );
      if (!known) {
        throw new PostgresConfigError(
          `erp.timeZone ${JSON.stringify(zone)} is not a time zone the ERP database knows. Fix: use a name from ` +
            `pg_timezone_names, e.g. America/New_York, Europe/Berlin or UTC.`,
          { timeZone: zone },
        );
      }
      if (this.#client.dialect === 'pglite')
        await this.#client.query(`SELECT set_config('TimeZone', $1, false)`, [zone]);
    })();
    this.#sessionConfigured.catch(() => {
      this.#sessionConfigured = undefined;
    });
    return this.#sessionConfigured;
  }

  createSource(): PostgresSource {
    return new PostgresSource({
      client: this.#client,
      plan: (s) => this.plan(s),
      tandemSchema: this.config.tandemSchema,
      batchSize: this.config.batchSize,
      logger: this.#logger,
    });
  }

  /** Every table outside the system schemas and tandem's own, with columns, types and unique keys (`tandem init`). */
  async introspect(options: IntrospectOptions = {}): Promise<EntityCatalog> {
    options.signal?.throwIfAborted();
    await this.#configureSession();
    return introspectTables(this.#client, [this.config.tandemSchema]);
  }

  createSink(): PostgresSink {
    return new PostgresSink({ client: this.#client, plan: (s) => this.plan(s) });
  }

  /**
   * Creates (idempotently) tandem's change-log table and trigger function in `tandemSchema`, and the capture triggers
   * on the stream's table. Needs CREATE on the database (for the schema) and ownership of the table (for triggers).
   */
  async installCapture(stream: StreamRef): Promise<void> {
    const settings = parseStreamSettings(stream);
    await this.#plan(stream);
    await this.#client.transaction(async (tx) => {
      for (const sql of installLogStatements(this.config.tandemSchema)) await tx.query(sql);
      for (const sql of installTriggerStatements(this.config.tandemSchema, settings)) await tx.query(sql);
    });
    this.#logger.info({ object: stream.name, table: logTableName(settings) }, 'change capture installed');
  }

  /** Drops the stream's capture triggers and its pending change-log entries. The shared log table stays. */
  async uninstallCapture(stream: StreamRef): Promise<void> {
    const settings = parseStreamSettings(stream);
    await this.#client.transaction(async (tx) => {
      for (const sql of uninstallTriggerStatements(this.config.tandemSchema, settings)) await tx.query(sql);
      const { rows } = await tx.query<{ log: string | null }>(`SELECT to_regclass($1)::text AS log`, [
        logTable(this.config.tandemSchema),
      ]);
      if (rows[0]?.log != null) {
        await tx.query(`DELETE FROM ${logTable(this.config.tandemSchema)} WHERE table_name = $1`, [
          logTableName(settings),
        ]);
      }
    });
    this.#plans.delete(stream.name);
    this.#logger.info({ object: stream.name, table: logTableName(settings) }, 'change capture uninstalled');
  }

  /** Checks the table without caching (capture mode is irrelevant to installing triggers). */
  async #plan(stream: StreamRef): Promise<StreamPlan> {
    this.#plans.delete(stream.name);
    return this.plan(stream);
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
