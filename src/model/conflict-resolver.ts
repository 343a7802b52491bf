import type { Conflict, Resolution } from './conflict.js';

/**
 * Decides what wins when both systems changed the same record since the base. It must be pure: the same conflict
 * gives the same resolution, whatever else is in the run and whatever order records arrive in; no clock, no I/O,
 * no randomness. The laws in `tandem/testing` check exactly that.
 *
 * @example
 * ```ts
 * const erpWins: ConflictResolver = {
 *   name: 'erp-wins',
 *   resolve: (c) => ({
 *     policyVersion: 'v1',
 *     decisions: c.kind === 'fields'
 *       ? c.fields.map((field) => ({ kind: 'field', field, take: 'erp', rule: 'erp-wins', reason: 'erp is the source of truth' }))
 *       : [{ kind: 'existence', take: c.kind === 'erp-deleted' ? 'delete' : 'keep', rule: 'erp-wins', reason: 'erp is the source of truth' }],
 *   }),
 * }
 * ```
 */
export interface ConflictResolver {
  /** A name for logs and explanations, e.g. `latest-wins` or `policy:account@3f2a9c1`. */
  readonly name: string;
  resolve(conflict: Conflict): Resolution;
}
