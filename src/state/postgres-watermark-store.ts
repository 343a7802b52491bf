import type { Kysely } from 'kysely';
import { compareWatermarks, type Watermark } from '../model/watermark.js';
import type { StateTables } from './state-tables.js';
import type { StoredWatermark, WatermarkKey, WatermarkStore } from '../model/watermark-store.js';

/** WatermarkStore over the `watermark` table: compare-and-set on `version`, never backwards. */
export class PostgresWatermarkStore implements WatermarkStore {
  readonly #db: Kysely<StateTables>;

  constructor(db: Kysely<StateTables>) {
    this.#db = db;
  }

  async get(key: WatermarkKey): Promise<StoredWatermark | undefined> {
    const row = await this.#db
      .selectFrom('watermark')
      .select(['value', 'version', 'updated_at'])
      .where('sync_name', '=', key.sync)
      .where('object', '=', key.object)
      .where('system', '=', key.system)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      watermark: parseWatermark(row.value),
      version: row.version,
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }

  async advance(
    key: WatermarkKey,
    next: Watermark,
    expectedVersion: number | null,
  ): Promise<{ advanced: boolean; version: number }> {
    const current = await this.get(key);
    const currentVersion = current?.version ?? null;
    if (currentVersion !== expectedVersion) return { advanced: false, version: currentVersion ?? 0 };
    if (current && compareWatermarks(next, current.watermark) <= 0)
      return { advanced: false, version: current.version };
    if (current === undefined) {
      const inserted = await this.#db
        .insertInto('watermark')
        .values({
          sync_name: key.sync,
          object: key.object,
          system: key.system,
          value: JSON.stringify(next),
          version: 1,
        })
        .onConflict((oc) => oc.columns(['sync_name', 'object', 'system']).doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1
        ? { advanced: true, version: 1 }
        : { advanced: false, version: (await this.get(key))?.version ?? 0 };
    }
    const updated = await this.#db
      .updateTable('watermark')
      .set({ value: JSON.stringify(next), version: current.version + 1, updated_at: new Date() })
      .where('sync_name', '=', key.sync)
      .where('object', '=', key.object)
      .where('system', '=', key.system)
      .where('version', '=', current.version)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1
      ? { advanced: true, version: current.version + 1 }
      : { advanced: false, version: current.version };
  }
}

export function parseWatermark(value: unknown): Watermark {
  const v = (typeof value === 'string' ? JSON.parse(value) : value) as Watermark;
  if (v.kind === 'cursor') return { kind: 'cursor', modifiedAt: String(v.modifiedAt), id: String(v.id) };
  return { kind: 'log', position: String(v.position) };
}
