import type { TandemConfig } from '../config/tandem-config.js';
import type { Conflict, SideVersion } from '../model/conflict.js';
import type { Fields } from '../model/record.js';
import type { RecordInput } from '../diff/plan-record.js';
import { plannerInput } from '../pipeline/plan-key.js';
import type { ChangeStaging } from '../model/change-staging.js';
import type { StatusQueries } from '../model/status-queries.js';
import { createObjectMapper } from '../mapping/object-mapper.js';
import { policyMappingOf } from './open-engine.js';
import { readRecordNow, type RecordNow } from '../pipeline/record-now.js';
import type { SyncContext } from '../pipeline/sync-object.js';

/**
 * `tandem policy explain` without --stored: the record read from both systems now, with the stored state, as
 * `sync --dry-run` would plan it. Undefined when neither system nor the store knows the key.
 */
export async function explainFromSystems(
  ctx: SyncContext,
  object: string,
  key: string,
): Promise<(RecordNow & { readonly input: RecordInput }) | undefined> {
  const synced = ctx.objects.find((o) => o.name === object);
  if (!synced) return undefined;
  const now = await readRecordNow(ctx, synced, key);
  const known = now.view.prior || now.view.staged || Object.values(now.sides).includes('found');
  return known ? { ...now, input: now.view.input } : undefined;
}

/**
 * What `tandem policy explain` and `tandem policy diff` need from the state store: a record as the planner would see
 * it now (built by the run's own `plannerInput`: base and what tandem knows each side holds, including changes
 * captured but not yet planned, echoes of unrecorded writes settled, and a person's answer), and the recent
 * real conflicts of an object, to replay through another policy version.
 */
export function policyContextFor(
  config: TandemConfig,
  store: { readonly staging: ChangeStaging; readonly status: StatusQueries },
) {
  return {
    mappings: config.objects.map(policyMappingOf),
    policiesDir: config.policies.dir,
    /** From the state store only (`policy explain --stored`). */
    async explain(object: string, key: string): Promise<RecordInput | undefined> {
      const mapping = config.objects.find((m) => m.name === object);
      if (!mapping) return undefined;
      const loaded = await store.staging.loadForPlanning(config.sync, object, [key]);
      const view = plannerInput({ name: object, mapper: createObjectMapper(mapping) }, key, loaded);
      return view.prior || view.staged ? view.input : undefined;
    },
    async recentConflicts(object: string, limit: number): Promise<readonly Conflict[]> {
      const rows = await store.status.recentDecisions(config.sync, object, limit);
      const conflicts: Conflict[] = [];
      for (const row of rows) {
        const d = (typeof row.decisions === 'string' ? JSON.parse(row.decisions) : row.decisions) as {
          base?: Fields | null;
          erp?: SideVersion | null;
          crm?: SideVersion | null;
          conflictingFields?: string[];
        };
        if (!d || d.erp === undefined || d.crm === undefined) continue;
        const tomb: SideVersion = { fields: {}, modifiedAt: '1970-01-01T00:00:00Z', deleted: true };
        const erp = d.erp ?? tomb;
        const crm = d.crm ?? tomb;
        const kind = erp.deleted ? 'erp-deleted' : crm.deleted ? 'crm-deleted' : 'fields';
        conflicts.push({
          kind,
          object,
          key: row.key,
          base: d.base ?? null,
          erp,
          crm,
          fields: kind === 'fields' ? [...(d.conflictingFields ?? [])].sort() : [],
        });
      }
      return conflicts;
    },
  };
}
