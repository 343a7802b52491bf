import type { SystemId } from './system.js';
import type { Watermark } from './watermark.js';

/** Identifies one watermark: per sync, per mapped object, per side. */
export interface WatermarkKey {
  readonly sync: string;
  readonly object: string;
  readonly system: SystemId;
}

export interface StoredWatermark {
  readonly watermark: Watermark;
  /** Incremented by every advance; the compare-and-set token. */
  readonly version: number;
  readonly updatedAt: string;
}

/**
 * Where the engine remembers how far each side of each object has been captured.
 *
 * @example
 * ```ts
 * const current = await store.get(key)
 * const { advanced } = await store.advance(key, next, current?.version ?? null)
 * if (!advanced) log.warn('another process moved the watermark; this run re-reads from the stored one')
 * ```
 */
export interface WatermarkStore {
  get(key: WatermarkKey): Promise<StoredWatermark | undefined>;
  /**
   * Compare-and-set: stores `next` only if the stored version is still `expectedVersion` (null: none stored yet)
   * and `next` is not behind the stored watermark. A lost race or a backwards move resolves to
   * `{ advanced: false }`; it never throws for that.
   */
  advance(
    key: WatermarkKey,
    next: Watermark,
    expectedVersion: number | null,
  ): Promise<{ readonly advanced: boolean; readonly version: number }>;
}
