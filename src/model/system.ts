/**
 * The two systems tandem keeps aligned.
 *
 * - `erp`: the company's ERP database (Postgres).
 * - `crm`: the CRM (Salesforce first; HubSpot and Zoho later).
 */
export type SystemId = 'erp' | 'crm';

export const SYSTEMS: readonly SystemId[] = Object.freeze(['erp', 'crm'] as const);

/** The system on the other side of the sync. */
export function otherSystem(system: SystemId): SystemId {
  return system === 'erp' ? 'crm' : 'erp';
}
