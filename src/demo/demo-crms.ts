import { defaultConnectorRegistry } from '../connectors/builtin-connectors.js';
import { closestMatch } from '../util/closest-match.js';
import { EXIT, TandemError } from '../util/errors.js';
import { hubspotDemoCrm } from './crms/hubspot-demo-crm.js';
import { salesforceDemoCrm } from './crms/salesforce-demo-crm.js';
import { zohoDemoCrm } from './crms/zoho-demo-crm.js';
import type { DemoCrm } from './demo-crm.js';

/** The CRMs `tandem demo --crm <type>` can run against: one line each. */
export const DEMO_CRMS: readonly DemoCrm[] = [salesforceDemoCrm, hubspotDemoCrm, zohoDemoCrm];

/** `tandem demo` without `--crm`. */
export const DEFAULT_DEMO_CRM = salesforceDemoCrm.type;

/** `--crm` names no CRM the demo has an emulator for. */
export class UnknownDemoCrmError extends TandemError {
  constructor(readonly type: string) {
    const types = DEMO_CRMS.map((c) => c.type);
    const guess = closestMatch(type, types);
    super(
      `the demo cannot run against crm '${type}';${guess === undefined ? '' : ` did you mean '${guess}'?`} ` +
        `it has emulators for: ${types.join(', ')}. Fix: pass --crm ${types.join('|')}`,
      { code: 'DEMO_CRM_UNKNOWN', context: { type, allowed: types }, exitCode: EXIT.usage },
    );
  }
}

/**
 * The demo CRM for a connector type. The type must be a CRM connector of the registry (so the demo runs what
 * `crm.type` would open) and one the demo has an emulator for; otherwise UnknownDemoCrmError (exit 2).
 */
export function demoCrmFor(type: string): DemoCrm {
  const crm = DEMO_CRMS.find((c) => c.type === type);
  if (crm === undefined) throw new UnknownDemoCrmError(type);
  defaultConnectorRegistry.get(type, 'crm'); // throws UnknownConnectorTypeError when it is not registered for the CRM side
  return crm;
}
