import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DUMP_FILE,
  TABLES_FILE,
  columnsOfDump,
  columnsOfTableTypes,
  compareDumps,
  compareTableTypes,
  dumpMigratedSchema,
} from '../../scripts/state-schema.js';
import { testBackends, uniqueSchemaName } from '../support/test-databases.js';

const checkedIn = readFileSync(DUMP_FILE, 'utf8');
const FIX = 'the migrations and schema/state-schema.sql disagree: run `npm run schema:dump` and check the result in';

describe('schema/state-schema.sql', () => {
  for (const backend of testBackends()) {
    it(`${backend.name}: equals the schema the migrations create from scratch`, async () => {
      const target = backend.url
        ? ({ kind: 'postgres', url: backend.url } as const)
        : ({ kind: 'embedded', dataDir: null } as const);
      const fresh = await dumpMigratedSchema(target, uniqueSchemaName('dump'));
      expect(compareDumps(checkedIn, fresh), FIX).toEqual([]);
    });
  }

  it('agrees with the Kysely table types in src/state/state-tables.ts (tables, columns, kinds, nullability)', () => {
    const typed = columnsOfTableTypes();
    expect(typed.get('record_state')?.get('erp_id')).toEqual({ kind: 'string', nullable: true });
    expect(typed.get('sync_run')?.get('started_at')).toEqual({ kind: 'Date', nullable: false });
    expect(compareTableTypes(columnsOfDump(checkedIn), typed)).toEqual([]);
  });

  it('the comparison reports a deliberately edited dump: a changed type, a dropped index, an extra column', () => {
    const edited = checkedIn
      .replace('  attempts integer not null default 1,', '  attempts bigint not null default 1,')
      .replace(/^CREATE INDEX failed_record_due .*\n/m, '')
      .replace('  version integer not null,', '  version integer not null,\n  note text,');
    expect(edited).not.toBe(checkedIn);
    expect(compareDumps(edited, checkedIn, { expected: 'edited dump', actual: 'migrations' })).toEqual([
      'failed_record: only in edited dump: attempts bigint not null default 1',
      'failed_record: only in migrations: attempts integer not null default 1',
      'failed_record: only in migrations: CREATE INDEX failed_record_due ON failed_record USING btree (sync_name, object, next_retry_at);',
      'watermark: only in edited dump: note text',
    ]);
    expect(compareTableTypes(columnsOfDump(edited), columnsOfTableTypes())).toEqual([
      'failed_record.attempts: bigint in the schema reads as string, state-tables.ts says number',
      'watermark.note: in the schema, not in state-tables.ts',
    ]);
  });

  it('the comparison reports Kysely types that drifted: a renamed column, a lost null, a missing table', () => {
    const source = readFileSync(TABLES_FILE, 'utf8');
    const edited = source
      .replace('    erp_id: string | null;', '    erp_ident: string | null;')
      .replace('    crm_id: string | null;', '    crm_id: string;')
      .replace(/ {2}decision: \{[^}]*\};\n/, '');
    expect(edited).not.toBe(source);
    expect(compareTableTypes(columnsOfDump(checkedIn), columnsOfTableTypes(edited))).toEqual([
      'decision: in the schema, not in state-tables.ts',
      'record_state.crm_id: nullable in the schema, not null in state-tables.ts',
      'record_state.erp_id: in the schema, not in state-tables.ts',
      'record_state.erp_ident: in state-tables.ts, not in the schema',
    ]);
  });
});
