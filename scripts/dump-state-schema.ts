// Writes schema/state-schema.sql: the state schema that schema/migrations creates, read back from the catalog of an
// embedded Postgres (PGlite) migrated from scratch. Run after adding or changing a migration: npm run schema:dump
// (test/integration/state-schema.test.ts fails until the dump is regenerated and checked in).
import { writeFileSync } from 'node:fs';
import { DUMP_FILE, dumpMigratedSchema } from './state-schema.js';

const text = await dumpMigratedSchema({ kind: 'embedded', dataDir: null }, 'tandem');
writeFileSync(DUMP_FILE, text);
console.log(`wrote ${DUMP_FILE}`);
