import type { SystemId } from '../model/system.js';
import { instantToEpochNanos } from '../model/instant.js';
import type { ConflictResolver } from '../model/conflict-resolver.js';
import type { ExistenceStrategy, FieldStrategy } from './field-strategy.js';
import { strategyResolver } from './strategy-resolver.js';

export interface LatestWinsOptions {
  /** Which side wins when both modification times are equal. Default `erp`. */
  readonly tie?: SystemId;
  /**
   * Milliseconds each system's clock is known to run ahead of true time (negative: behind). Subtracted from that
   * side's `modifiedAt` before comparing. Default 0 for both: each side's own clock is taken as it is.
   */
  readonly skewMs?: { readonly erp?: number; readonly crm?: number };
}

/** The instant of a side's edit in epoch nanoseconds, with that side's known skew removed; undefined if unparsable. */
function correctedNanos(modifiedAt: string, skewMs: number): bigint | undefined {
  try {
    return instantToEpochNanos(modifiedAt) - BigInt(Math.round(skewMs * 1_000_000));
  } catch {
    return undefined;
  }
}

/**
 * Which side edited last, by each system's own modification time (minus known skew). Equal times go to `tie`.
 * Undefined when a time cannot be read.
 */
export function laterSide(
  erpAt: string,
  crmAt: string,
  options: LatestWinsOptions = {},
): { side: SystemId; reason: string } | undefined {
  const tie = options.tie ?? 'erp';
  const erp = correctedNanos(erpAt, options.skewMs?.erp ?? 0);
  const crm = correctedNanos(crmAt, options.skewMs?.crm ?? 0);
  if (erp === undefined || crm === undefined) return undefined;
  const skewNote =
    options.skewMs && (options.skewMs.erp || options.skewMs.crm) ? ' (after correcting known clock skew)' : '';
  if (erp === crm)
    return { side: tie, reason: `erp and crm edits have the same time ${erpAt}${skewNote}; ties go to ${tie}` };
  return erp > crm
    ? { side: 'erp', reason: `erp edit at ${erpAt} is later than crm edit at ${crmAt}${skewNote}` }
    : { side: 'crm', reason: `crm edit at ${crmAt} is later than erp edit at ${erpAt}${skewNote}` };
}

/** Field strategy: the side whose record was modified last wins. */
export function latestWinsField(options: LatestWinsOptions = {}): FieldStrategy {
  return {
    name: 'latest-wins',
    decideField: ({ conflict, erp, crm }) => {
      const later = laterSide(conflict.erp.modifiedAt, conflict.crm.modifiedAt, options);
      if (!later)
        return {
          take: 'manual',
          reason: `cannot compare modification times ${JSON.stringify(conflict.erp.modifiedAt)} and ${JSON.stringify(conflict.crm.modifiedAt)}`,
        };
      const values = `erp ${JSON.stringify(erp)} vs crm ${JSON.stringify(crm)}`;
      return { take: later.side, reason: `${later.reason} (${values})` };
    },
  };
}

/** Existence strategy: a delete later than the other side's change wins; an earlier one loses. */
export function latestWinsExistence(options: LatestWinsOptions = {}): ExistenceStrategy {
  return {
    name: 'latest-wins',
    decideExistence: ({ conflict, deleter }) => {
      const later = laterSide(conflict.erp.modifiedAt, conflict.crm.modifiedAt, options);
      if (!later) return { take: 'manual', reason: 'cannot compare the delete time with the change time' };
      return later.side === deleter
        ? { take: 'delete', reason: `the ${deleter} delete is the later edit: ${later.reason}` }
        : { take: 'keep', reason: `the change is the later edit: ${later.reason}` };
    },
  };
}

/**
 * Latest edit wins, field by field, by each system's own modification time (`SideVersion.modifiedAt`), compared
 * with nanosecond precision. Tie-break: equal times go to `options.tie` (default `erp`), so the answer never depends
 * on arrival order. Existence conflicts: a delete later than the change deletes, otherwise the record is kept.
 *
 * @example
 * ```ts
 * const resolver = latestWins({ tie: 'crm', skewMs: { crm: 90_000 } }) // CRM clock runs 90 s ahead
 * ```
 */
export function latestWins(options: LatestWinsOptions = {}): ConflictResolver {
  return strategyResolver({
    name: 'latest-wins',
    field: latestWinsField(options),
    existence: latestWinsExistence(options),
  });
}
