import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

const FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

/**
 * Reads numbered `.sql` files (`0001_state_store.sql`, ...) from a folder as Kysely migrations, replacing `:SCHEMA`
 * with the (validated) schema name, quoted by pg's `escapeIdentifier`. Files run in name order, each in its own
 * transaction; Kysely's Migrator takes a Postgres advisory lock, so two processes starting at once apply each
 * migration exactly once.
 */
export class SqlFileMigrationProvider implements MigrationProvider {
  readonly #folder: string;
  readonly #schema: string;

  constructor(folder: string, schema: string) {
    this.#folder = folder;
    this.#schema = schema;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const schemaName = pg.escapeIdentifier(this.#schema);
    const names = (await readdir(this.#folder)).filter((name) => FILE.test(name)).sort();
    const migrations: Record<string, Migration> = {};
    for (const name of names) {
      const text = (await readFile(join(this.#folder, name), 'utf8')).replaceAll(':SCHEMA', () => schemaName);
      const statements = splitStatements(text);
      migrations[name.replace(/\.sql$/, '')] = {
        async up(db: Kysely<unknown>): Promise<void> {
          for (const statement of statements) await sql.raw(statement).execute(db);
        },
      };
    }
    return migrations;
  }
}

/**
 * Splits SQL text into statements at semicolons outside quotes, comments and dollar-quoted bodies. (PGlite's
 * extended protocol runs one statement per query.)
 */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const rest = text.slice(i);
    if (rest.startsWith('--')) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
      continue;
    }
    if (rest.startsWith('/*')) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
      continue;
    }
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < text.length) {
        if (text[j] === ch) {
          if (text[j + 1] === ch) j += 2;
          else break;
        } else j++;
      }
      current += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const dollar = /^\$[A-Za-z_]*\$/.exec(rest);
    if (dollar) {
      const tag = dollar[0];
      const end = text.indexOf(tag, i + tag.length);
      const stop = end === -1 ? text.length : end + tag.length;
      current += text.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
