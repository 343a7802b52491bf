import { randomBytes } from 'node:crypto';

/**
 * The Postgres backends a Postgres-backed test runs against: the embedded one (PGlite) always, and the real server
 * when TANDEM_TEST_DATABASE_URL is set (CI sets it to postgres://postgres@127.0.0.1:5432/test).
 *
 * @example
 * ```ts
 * for (const backend of testBackends()) describe(`${backend.name}: state store`, () => { ... })
 * ```
 */
export interface TestBackend {
  readonly name: 'pglite' | 'postgres';
  /** Connection string of the real server; undefined for PGlite (in memory). */
  readonly url: string | undefined;
}

export function testBackends(): readonly TestBackend[] {
  const url = process.env['TANDEM_TEST_DATABASE_URL'];
  const backends: TestBackend[] = [{ name: 'pglite', url: undefined }];
  if (url) backends.push({ name: 'postgres', url });
  return backends;
}

/** The real server's URL, or undefined (tests that need a real server use `describe.skipIf(!realDatabaseUrl())`). */
export function realDatabaseUrl(): string | undefined {
  return process.env['TANDEM_TEST_DATABASE_URL'] || undefined;
}

/** A schema name unique to one test, so tests never see each other's tables. */
export function uniqueSchemaName(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
