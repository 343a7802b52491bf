import type { FieldValue, Fields } from '../../model/record.js';
import { normalizeInstant } from '../../model/instant.js';

/** One stored row of an in-memory system. */
export interface MemoryRow {
  readonly nativeId: string;
  readonly key: string;
  readonly fields: Fields;
  readonly modifiedAt: string;
  readonly deleted: boolean;
}

/**
 * A tiny system of record held in memory: entities (tables/objects) of rows with a native id, an optional key,
 * fields, a modification time from its own clock, and soft deletes. Tests and the zero-setup demo edit it "as a
 * user would"; the MemoryConnector reads and writes it as tandem does.
 */
export class MemorySystem {
  readonly #entities = new Map<string, Map<string, MemoryRow>>();
  #tick = 0;
  #nextId = 1;
  readonly #prefix: string;
  readonly #epochMs: number;
  /** Offset added to this system's clock (simulates a clock that runs ahead or behind). */
  clockOffsetMs = 0;

  constructor(options: { idPrefix?: string; epoch?: string } = {}) {
    this.#prefix = options.idPrefix ?? 'm';
    this.#epochMs = Date.parse(options.epoch ?? '2026-01-01T00:00:00Z');
  }

  /** The next instant of this system's clock: strictly increasing, one millisecond per tick. */
  now(): string {
    this.#tick += 1;
    return normalizeInstant(new Date(this.#epochMs + this.#tick + this.clockOffsetMs).toISOString());
  }

  /** The current instant without advancing (several writes can share it with `at`). */
  peek(): string {
    return normalizeInstant(new Date(this.#epochMs + this.#tick + this.clockOffsetMs).toISOString());
  }

  rows(entity: string): Map<string, MemoryRow> {
    let rows = this.#entities.get(entity);
    if (!rows) {
      rows = new Map();
      this.#entities.set(entity, rows);
    }
    return rows;
  }

  /** Live rows of an entity (not deleted). */
  live(entity: string): MemoryRow[] {
    return [...this.rows(entity).values()].filter((r) => !r.deleted);
  }

  findByKey(entity: string, key: string): MemoryRow | undefined {
    for (const row of this.rows(entity).values()) if (!row.deleted && row.key === key) return row;
    return undefined;
  }

  /** Inserts a row as a user would; `key` may be '' (created on this side, never synced). */
  insert(entity: string, key: string, fields: Fields, at?: string): MemoryRow {
    const nativeId = `${this.#prefix}${String(this.#nextId++).padStart(6, '0')}`;
    const row: MemoryRow = { nativeId, key, fields: { ...fields }, modifiedAt: at ?? this.now(), deleted: false };
    this.rows(entity).set(nativeId, row);
    return row;
  }

  /** Updates some fields of a row as a user would. */
  update(entity: string, nativeId: string, fields: Readonly<Record<string, FieldValue>>, at?: string): MemoryRow {
    const row = this.rows(entity).get(nativeId);
    if (!row || row.deleted) throw new Error(`no live row ${nativeId} in ${entity}`);
    const next: MemoryRow = { ...row, fields: { ...row.fields, ...fields }, modifiedAt: at ?? this.now() };
    this.rows(entity).set(nativeId, next);
    return next;
  }

  setKey(entity: string, nativeId: string, key: string, at?: string): MemoryRow {
    const row = this.rows(entity).get(nativeId);
    if (!row) throw new Error(`no row ${nativeId} in ${entity}`);
    const next: MemoryRow = { ...row, key, modifiedAt: at ?? this.now() };
    this.rows(entity).set(nativeId, next);
    return next;
  }

  /** Soft-deletes a row (it is still returned to change readers as a tombstone). */
  delete(entity: string, nativeId: string, at?: string): void {
    const row = this.rows(entity).get(nativeId);
    if (!row || row.deleted) return;
    this.rows(entity).set(nativeId, { ...row, deleted: true, modifiedAt: at ?? this.now() });
  }
}
