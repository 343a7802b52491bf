import type { SystemId } from '../model/system.js';
import type { ExistenceStrategy } from './field-strategy.js';
import { latestWinsExistence, type LatestWinsOptions } from './latest-wins.js';

/** How a policy decides a delete-versus-change conflict. */
export const EXISTENCE_POLICIES = Object.freeze([
  'delete',
  'keep',
  'latest-wins',
  'manual',
  'erp-wins',
  'crm-wins',
] as const);
export type ExistencePolicyName = (typeof EXISTENCE_POLICIES)[number];

/** The side that wins existence under `erp-wins`/`crm-wins`: its delete deletes, its survival keeps. */
export function sideWinsExistence(side: SystemId): ExistenceStrategy {
  return {
    name: `${side}-wins`,
    decideExistence: ({ deleter }) =>
      deleter === side
        ? { take: 'delete', reason: `${side} deleted the record and ${side} is the source of truth` }
        : {
            take: 'keep',
            reason: `${side} kept the record and ${side} is the source of truth; it is recreated on ${deleter}`,
          },
  };
}

/**
 * The existence strategy named in a policy:
 * - `delete`: the delete always wins;
 * - `keep`: the change always wins (the record is recreated where it was deleted);
 * - `latest-wins`: whichever is later, by each system's own clock;
 * - `manual`: a person decides;
 * - `erp-wins` / `crm-wins`: that side's state wins.
 */
export function existenceStrategy(name: ExistencePolicyName, options: LatestWinsOptions = {}): ExistenceStrategy {
  switch (name) {
    case 'delete':
      return {
        name,
        decideExistence: ({ deleter }) => ({ take: 'delete', reason: `${deleter} deleted the record; deletes win` }),
      };
    case 'keep':
      return {
        name,
        decideExistence: ({ deleter }) => ({
          take: 'keep',
          reason: `${deleter} deleted the record but the other side changed it; changes win, so it is kept`,
        }),
      };
    case 'latest-wins':
      return latestWinsExistence(options);
    case 'manual':
      return {
        name,
        decideExistence: ({ deleter }) => ({
          take: 'manual',
          reason: `${deleter} deleted the record while the other side changed it; a person decides`,
        }),
      };
    case 'erp-wins':
      return sideWinsExistence('erp');
    case 'crm-wins':
      return sideWinsExistence('crm');
  }
}
