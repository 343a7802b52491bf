import { createHash } from 'node:crypto';
import type { NativeRecord } from '../../model/record.js';
import { formatValue } from './table-shape.js';
import type { BucketHash } from './postgres-source.js';

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** The bucket of a key, as `PostgresSource.bucketHashes` assigns it: first 32 bits of md5(key) modulo `buckets`. */
export function bucketOf(key: string, buckets: number): number {
  return Number.parseInt(md5(key).slice(0, 8), 16) % buckets;
}

/**
 * The bucket hashes `PostgresSource.bucketHashes` would compute for these records (live, keyed ones), over `fields`
 * in that order. Lets the engine compare what it last saw with what the database holds, bucket by bucket.
 */
export function bucketHashOf(
  records: Iterable<NativeRecord>,
  fields: readonly string[],
  buckets: number,
): readonly BucketHash[] {
  const byBucket = new Map<number, { key: string; hash: string }[]>();
  for (const r of records) {
    if (r.deleted || r.key === '') continue;
    const parts = [r.key, ...fields.map((f) => formatValue(r.fields[f] ?? null) ?? '\u001e')];
    const b = bucketOf(r.key, buckets);
    const list = byBucket.get(b) ?? [];
    list.push({ key: r.key, hash: md5(parts.join('\u001f')) });
    byBucket.set(b, list);
  }
  return [...byBucket.entries()]
    .sort(([a], [b]) => a - b)
    .map(([bucket, list]) => {
      // COLLATE "C": byte order of the UTF-8 text.
      list.sort((x, y) => Buffer.compare(Buffer.from(x.key, 'utf8'), Buffer.from(y.key, 'utf8')));
      return Object.freeze({ bucket, count: list.length, hash: md5(list.map((e) => e.hash).join('')) });
    });
}
