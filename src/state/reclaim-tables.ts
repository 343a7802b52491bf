import { sql, type Kysely } from 'kysely';
import type { RecordTable, ReclaimedTable } from '../model/record-store.js';
import type { StateTables } from './state-tables.js';

/** Postgres's `lock_not_available`: a `lock ... nowait` found the table in use. */
const LOCK_NOT_AVAILABLE = '55P03';

/** The staging tables a run empties again (every row it adds, it deletes): the only ones ever truncated. */
const STAGING: ReadonlySet<RecordTable> = new Set(['inbox', 'outbox']);

/**
 * Gives back the space of the rows a big run deleted (or updated), table by table, so the next run does not scan a
 * million dead rows until autovacuum comes by. A staging table (inbox, outbox) that is empty for every sync is
 * truncated: under `lock ... in access exclusive mode nowait`, taken before looking, so no other transaction can
 * hold an uncommitted row of it (an inserting transaction holds a lock that conflicts; if any transaction, a
 * reader included, holds one, the lock fails at once instead of queueing other sessions behind it). Otherwise, or
 * when the lock is not free, `vacuum (analyze)`, which runs beside concurrent writers of other syncs and replicas.
 * VACUUM cannot run inside a transaction: `db` must not be one.
 */
export async function reclaimTables(
  db: Kysely<StateTables>,
  schema: string,
  tables: readonly RecordTable[],
): Promise<ReclaimedTable[]> {
  const out: ReclaimedTable[] = [];
  for (const table of tables) {
    const id = sql.id(schema, table);
    if (STAGING.has(table) && (await truncateIfEmpty(db, id))) {
      out.push({ table, action: 'truncated' });
      continue;
    }
    await sql`vacuum (analyze) ${id}`.execute(db);
    out.push({ table, action: 'vacuumed' });
  }
  return out;
}

async function truncateIfEmpty(db: Kysely<StateTables>, id: ReturnType<typeof sql.id>): Promise<boolean> {
  try {
    return await db.transaction().execute(async (trx) => {
      await sql`lock table ${id} in access exclusive mode nowait`.execute(trx);
      const rows = await sql<{ any: boolean }>`select exists (select 1 from ${id}) as any`.execute(trx);
      if (rows.rows[0]?.any !== false) return false;
      await sql`truncate ${id}`.execute(trx);
      return true;
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return false;
    throw error;
  }
}
