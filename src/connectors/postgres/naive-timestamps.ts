import type { SqlSession } from './sql-client.js';

/**
 * `timestamp without time zone` ("naive") modification columns. tandem reads a naive value as local time in the
 * TimeZone of its ERP session: the database's own setting, or `erp.timeZone` when declared (then set on every
 * session). So `ts::timestamptz` is the instant the ERP meant, and the watermark, the open-transaction cap and
 * latest-wins compare instants, whatever the zone.
 *
 * Local time is not monotonic: a DST fall-back repeats an hour, so a row written after the stored cursor may carry
 * an earlier local time than the cursor's. Reads from a cursor therefore start at the lowest local time any instant
 * from the cursor (minus the lookback) to now can have: the cursor's UTC clock time plus the smallest UTC offset the
 * zone has in that span (sampled daily and at both ends; zones change offset at most a few times a year).
 */

/** The session's TimeZone setting (what naive values are read in). */
export async function sessionTimeZone(db: SqlSession): Promise<string> {
  const { rows } = await db.query<{ zone: string }>(`SELECT current_setting('TimeZone') AS zone`);
  return rows[0]?.zone ?? 'UTC';
}

/**
 * A SQL expression for the naive lower bound of a watermark read: every row whose instant is at or after
 * `$cursor - $lookback seconds` has a local time at or after it. `cursor` and `lookback` are parameter references
 * (e.g. `$1`, `$2`): an ISO-8601 instant and seconds.
 */
export function naiveLowerBound(cursor: string, lookback: string): string {
  const from = `(${cursor}::timestamptz - make_interval(secs => ${lookback}::double precision))`;
  return `(SELECT (f.t AT TIME ZONE 'UTC') + min(s.at::timestamp - (s.at AT TIME ZONE 'UTC'))
             FROM (SELECT ${from} AS t) f
             CROSS JOIN LATERAL (SELECT generate_series(f.t, greatest(f.t, now()), interval '1 day') AS at
                                 UNION ALL SELECT now()) s
            GROUP BY f.t)`;
}
