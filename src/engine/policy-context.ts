import type { TandemConfig } from '../config/tandem-config.js';
import type { Conflict, SideVersion } from '../model/conflict.js';
import type { Fields } from '../model/record.js';
import type { RecordInput } from '../diff/plan-record.js';
import { observedSide } from '../pipeline/record-transition.js';
import type { StateStore } from '../state/state-store.js';
import { createObjectMapper } from '../mapping/object-mapper.js';
import { policyMappingOf } from './open-engine.js';

/**
 * What `tandem policy explain` and `tandem policy diff` need from the state store: a record as the planner would see
 * it now (base and what tandem knows each side holds, including changes captured but not yet planned), and the recent
 * real conflicts of an object, to replay through another policy version.
 */
export function policyContextFor(config: TandemConfig, store: StateStore) {
  return {
    mappings: config.objects.map(policyMappingOf),
    policiesDir: config.policies.dir,
    async explain(object: string, key: string): Promise<RecordInput | undefined> {
      const mapping = config.objects.find((m) => m.name === object);
      if (!mapping) return undefined;
      const input = await store.loadForPlanning(config.sync, object, [key]);
      const prior = input.states.get(key);
      const staged = input.inbox.get(key);
      if (!prior && !staged) return undefined;
      const mapper = createObjectMapper(mapping);
      return {
        object,
        key,
        base: prior?.base ?? null,
        erp: observedSide('erp', prior, staged?.erp),
        crm: observedSide('crm', prior, staged?.crm),
        fields: mapper.fieldNames,
        directions: mapper.directions,
      };
    },
    async recentConflicts(object: string, limit: number): Promise<readonly Conflict[]> {
      const rows = await store.recentDecisions(config.sync, object, limit);
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
