import type { PGlite } from '@electric-sql/pglite';
import { afterAll } from 'vitest';
import { openStateDatabase, type StateDatabase } from '../../src/state/state-database.js';
import type { TestBackend } from './test-databases.js';

let shared: Promise<PGlite> | undefined;

/**
 * A state database for one test on its own schema: the real server when the backend has a URL, else one PGlite
 * instance shared by the whole test file (PGlite's start-up costs seconds; a schema costs milliseconds).
 */
export async function openTestStateDatabase(backend: TestBackend, schema: string): Promise<StateDatabase> {
  if (backend.url) return openStateDatabase({ kind: 'postgres', url: backend.url }, schema);
  if (!shared) {
    shared = import('@electric-sql/pglite').then(async ({ PGlite }) => {
      const pglite = new PGlite();
      await pglite.waitReady;
      return pglite;
    });
    afterAll(async () => {
      const pglite = await shared;
      shared = undefined;
      if (pglite && !pglite.closed) await pglite.close();
    });
  }
  return openStateDatabase({ kind: 'embedded', dataDir: null, pglite: await shared }, schema);
}
