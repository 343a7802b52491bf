import type { Direction } from '../../model/direction.js';

/** One mapped field as policies see it. `type` is the mapping's type name (`string`, `number`, `date`...). */
export interface PolicyField {
  readonly name: string;
  readonly type: string;
  /** Absent means `both`. One-way fields never conflict. */
  readonly direction?: Direction;
}

/**
 * The part of a mapping (tandem.yaml `objects.<name>`) that policy loading and checks need: structural, so the
 * config module's own types fit it.
 *
 * @example
 * ```ts
 * const mapping: PolicyMapping = { object: 'account', fields: [{ name: 'name', type: 'string' }], policy: 'account.yaml' }
 * ```
 */
export interface PolicyMapping {
  readonly object: string;
  readonly fields: readonly PolicyField[];
  /** The policy the mapping uses: a file in the policies directory or a built-in name. */
  readonly policy?: string;
}

/** A non-fatal finding about a policy file; same shape as ConfigIssue. */
export interface PolicyWarning {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly path: string;
  readonly message: string;
}

export const NUMERIC_TYPES: readonly string[] = [
  'number',
  'integer',
  'int',
  'bigint',
  'decimal',
  'numeric',
  'float',
  'double',
  'currency',
  'percent',
];
export const TEMPORAL_TYPES: readonly string[] = ['date', 'datetime', 'timestamp', 'timestamptz', 'time'];
