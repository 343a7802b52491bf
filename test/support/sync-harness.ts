import { MemoryConnector } from '../../src/connectors/memory/memory-connector.js';
import { openTestStateDatabase } from './test-state.js';
import { MemorySystem } from '../../src/connectors/memory/memory-system.js';
import type { Conflict, Resolution } from '../../src/model/conflict.js';
import type { Fields } from '../../src/model/record.js';
import { compareInstants } from '../../src/model/instant.js';
import type { SystemId } from '../../src/model/system.js';
import type { Direction } from '../../src/model/direction.js';
import type { ConflictResolver } from '../../src/model/conflict-resolver.js';
import { StateStore } from '../../src/state/state-store.js';
import type { FieldMapper, SyncContext, SyncObject } from '../../src/pipeline/sync-object.js';
import { silentLogger } from '../../src/util/logger.js';
import { uniqueSchemaName, type TestBackend } from './test-databases.js';

/** Canonical names equal native names on both sides: the pipeline under test, without transforms. */
export function identityMapper(
  fields: readonly string[],
  directions: Readonly<Record<string, Direction>> = {},
): FieldMapper {
  const names = [...fields].sort();
  const project = (input: Fields): Fields => {
    const out: Record<string, Fields[string]> = {};
    for (const name of names) if (name in input) out[name] = input[name] ?? null;
    return out;
  };
  return {
    fieldNames: names,
    directions,
    toCanonical: (_s: SystemId, f: Fields) => project(f),
    toNative: (_s: SystemId, f: Fields) => project(f),
  };
}

/** Latest edit wins by each side's own clock; ties go to the ERP. Deletes lose to a later edit. */
export const testLatestWins: ConflictResolver = {
  name: 'test-latest-wins',
  resolve(conflict: Conflict): Resolution {
    const erpLater = compareInstants(conflict.erp.modifiedAt, conflict.crm.modifiedAt) >= 0;
    if (conflict.kind !== 'fields') {
      const deleterLater = conflict.kind === 'erp-deleted' ? erpLater : !erpLater;
      return {
        policyVersion: 'test',
        decisions: [
          {
            kind: 'existence',
            take: deleterLater ? 'delete' : 'keep',
            rule: 'test-latest-wins',
            reason: 'later side wins',
          },
        ],
      };
    }
    return {
      policyVersion: 'test',
      decisions: conflict.fields.map((field) => ({
        kind: 'field' as const,
        field,
        take: erpLater ? ('erp' as const) : ('crm' as const),
        rule: 'test-latest-wins',
        reason: 'later side wins',
      })),
    };
  },
};

export const FIELDS = ['name', 'phone', 'city'] as const;

export interface Harness {
  readonly erp: MemorySystem;
  readonly crm: MemorySystem;
  readonly erpConnector: MemoryConnector;
  readonly crmConnector: MemoryConnector;
  readonly store: StateStore;
  readonly ctx: SyncContext;
  readonly object: SyncObject;
  close(): Promise<void>;
}

export async function createHarness(
  backend: TestBackend,
  options: {
    resolver?: ConflictResolver;
    directions?: Readonly<Record<string, Direction>>;
    rejectCrm?: (key: string, fields: Fields) => string | undefined;
    /** Keep records' timeline events (default true, as tandem.yaml's `history.recordEvents`). */
    recordEvents?: boolean;
    /** Plan one-sided new records set-based (default true, as the StateStore's `bulkPlan`). */
    bulkPlan?: boolean;
  } = {},
): Promise<Harness> {
  const schema = uniqueSchemaName('sync');
  const database = await openTestStateDatabase(backend, schema);
  const store = new StateStore(database, {
    recordEvents: options.recordEvents ?? true,
    bulkPlan: options.bulkPlan ?? true,
  });
  await store.migrate();
  const erp = new MemorySystem({ idPrefix: 'E' });
  const crm = new MemorySystem({ idPrefix: 'C', epoch: '2026-01-01T00:00:00.500Z' });
  const erpConnector = new MemoryConnector({ system: 'erp', data: erp, maxBatchSize: 50 });
  const rejectCrm = options.rejectCrm;
  const crmConnector = new MemoryConnector({
    system: 'crm',
    data: crm,
    maxBatchSize: 50,
    ...(rejectCrm ? { reject: (_s, r) => (r.op === 'upsert' ? rejectCrm(r.key, r.fields) : undefined) } : {}),
  });
  const object: SyncObject = {
    name: 'account',
    streams: {
      erp: { name: 'account', entity: 'customers', keyField: 'customer_no', fields: [...FIELDS], options: {} },
      crm: { name: 'account', entity: 'Account', keyField: 'External_Id__c', fields: [...FIELDS], options: {} },
    },
    mapper: identityMapper(FIELDS, options.directions),
    resolver: options.resolver ?? testLatestWins,
    policyVersion: 'test',
  };
  const ctx: SyncContext = {
    sync: 'test',
    store,
    connectors: { erp: erpConnector, crm: crmConnector },
    objects: [object],
    logger: silentLogger(),
  };
  return {
    erp,
    crm,
    erpConnector,
    crmConnector,
    store,
    ctx,
    object,
    async close() {
      if (backend.url)
        await database.db.schema
          .dropSchema(schema)
          .ifExists()
          .cascade()
          .execute()
          .catch(() => {});
      await store.close();
    },
  };
}

/** Live rows of a memory system's entity as key -> fields, for comparing both sides. */
export function snapshot(system: MemorySystem, entity: string): Map<string, Fields> {
  const out = new Map<string, Fields>();
  for (const row of system.live(entity)) out.set(row.key, row.fields);
  return out;
}
