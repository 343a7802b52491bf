import { sql } from 'kysely';
import type { StateDatabase } from './state-database.js';

/**
 * Marks as `interrupted` the runs of these objects that a dead process left `running`. Only runs sharing an object
 * with the new one: another object's run may be going on right now in another replica (objects are locked one by
 * one), and must not be touched.
 */
export async function markInterruptedRunsOf(
  database: StateDatabase,
  sync: string,
  objects: readonly string[],
): Promise<number> {
  const result = await sql`
    update ${sql.id(database.schema, 'sync_run')}
       set status = 'interrupted', finished_at = now()
     where sync_name = ${sync} and status = 'running' and objects && ${[...objects]}::text[]`.execute(database.db);
  return Number(result.numAffectedRows ?? 0);
}
