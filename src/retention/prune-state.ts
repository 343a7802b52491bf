import { sql, type RawBuilder } from 'kysely';
import type { RetentionConfig } from '../config/service-config.js';
import type { StateDatabase } from '../state/state-database.js';

/** Rows removed (or whose stored values were cleared) per kind. */
export interface PruneReport {
  readonly cutoffs: Readonly<Record<keyof RetentionConfig, string>>;
  /** Staged changes (inbox) older than retention.staged, deleted. */
  readonly staged: number;
  /** Planned writes (outbox) older than retention.planned and not part of an open remote job, deleted. */
  readonly planned: number;
  /** Decisions older than retention.decisions, deleted (rule, reason and values alike). */
  readonly decisions: number;
  /** Resolved conflicts older than retention.decisions, deleted (open ones are kept: a person still decides). */
  readonly resolvedConflicts: number;
  /** Runs older than retention.runs, deleted (the last run of the sync is kept), with their serve and delivery logs. */
  readonly runs: number;
  /** Operator actions (`tandem failed retry|skip|discard`) older than retention.runs, deleted with the entries they took. */
  readonly operatorActions: number;
  /** Failed-record payloads older than retention.failed, cleared (the failed entry and its reason stay). */
  readonly failedPayloads: number;
  /** Records deleted on both sides whose base values are older than retention.staged, cleared (key and ids stay). */
  readonly deletedRecordValues: number;
  /** Records' timeline events (record_event) older than retention.history, deleted. */
  readonly recordEvents: number;
}

function cutoff(days: number, now: Date): Date {
  return new Date(now.getTime() - days * 24 * 3600 * 1000);
}

async function count(database: StateDatabase, query: RawBuilder<unknown>): Promise<number> {
  const result = await query.execute(database.db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Removes copies of record values older than the retention from the state store, one sync at a time, keeping what
 * the sync still needs: each record's key, native ids and existence (so nothing is re-created or re-synced by
 * mistake), the base of live records (three-way merge), open conflicts, open remote jobs and their planned writes.
 */
export async function pruneState(
  database: StateDatabase,
  sync: string,
  retention: RetentionConfig,
  now = new Date(),
): Promise<PruneReport> {
  const t = (table: string) => sql.id(database.schema, table);
  const at = {
    staged: cutoff(retention.staged, now),
    planned: cutoff(retention.planned, now),
    decisions: cutoff(retention.decisions, now),
    runs: cutoff(retention.runs, now),
    failed: cutoff(retention.failed, now),
    history: cutoff(retention.history, now),
  };
  const staged = await count(
    database,
    sql`delete from ${t('inbox')} where sync_name = ${sync} and captured_at < ${at.staged}`,
  );
  const planned = await count(
    database,
    sql`delete from ${t('outbox')} o where o.sync_name = ${sync} and o.planned_at < ${at.planned}
          and not exists (select 1 from ${t('bulk_job')} j
                           where j.sync_name = o.sync_name and j.job_id = o.job_id and j.status = 'open')`,
  );
  const decisions = await count(
    database,
    sql`delete from ${t('decision')} where sync_name = ${sync} and created_at < ${at.decisions}`,
  );
  const resolvedConflicts = await count(
    database,
    sql`delete from ${t('conflict')} where sync_name = ${sync} and status = 'resolved' and updated_at < ${at.decisions}`,
  );
  const runs = await count(
    database,
    sql`delete from ${t('sync_run')} where sync_name = ${sync} and status <> 'running' and started_at < ${at.runs}
          and id < (select max(id) from ${t('sync_run')} where sync_name = ${sync})`,
  );
  await sql`delete from ${t('serve_run')} s where s.sync_name = ${sync}
              and not exists (select 1 from ${t('sync_run')} r where r.id = s.run_id)`.execute(database.db);
  await sql`delete from ${t('notify_delivery')} where sync_name = ${sync} and created_at < ${at.runs}`.execute(
    database.db,
  );
  // operator_action_record rows go with their action (on delete cascade).
  const operatorActions = await count(
    database,
    sql`delete from ${t('operator_action')} where sync_name = ${sync} and created_at < ${at.runs}`,
  );
  const failedPayloads = await count(
    database,
    sql`update ${t('failed_record')} set payload = null
         where sync_name = ${sync} and payload is not null and last_failed_at < ${at.failed}`,
  );
  const deletedRecordValues = await count(
    database,
    sql`update ${t('record_state')}
           set base = null, erp_fields = null, crm_fields = null, pending = null
         where sync_name = ${sync} and not erp_exists and not crm_exists and updated_at < ${at.staged}
           and (base is not null or erp_fields is not null or crm_fields is not null or pending is not null)`,
  );
  const recordEvents = await count(
    database,
    sql`delete from ${t('record_event')} where sync_name = ${sync} and at < ${at.history}`,
  );
  return {
    cutoffs: {
      staged: at.staged.toISOString(),
      planned: at.planned.toISOString(),
      decisions: at.decisions.toISOString(),
      runs: at.runs.toISOString(),
      failed: at.failed.toISOString(),
      history: at.history.toISOString(),
    },
    staged,
    planned,
    decisions,
    resolvedConflicts,
    runs,
    operatorActions,
    failedPayloads,
    deletedRecordValues,
    recordEvents,
  };
}
