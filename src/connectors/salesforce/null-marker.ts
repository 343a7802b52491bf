import type { OutboundRecord } from '../connector.js';

/** The text Bulk API 2.0 reads in an ingest CSV cell as "set this field to null". */
export const BULK_NULL_MARKER = '#N/A';

/**
 * Why a record cannot go up through Bulk API 2.0 unchanged, or undefined when it can: a field (or the key) whose
 * value is the literal text `#N/A`. Salesforce would read that cell as "set to null" and erase the field, and the
 * next read would copy the null back to the ERP, so tandem refuses the record instead (it goes to the failed queue
 * with this reason and nothing is erased on either side).
 *
 * @example
 * ```ts
 * nullMarkerRejection('External_Id__c', 'K-1', { Name: '#N/A' }) // "field Name holds the literal text ..."
 * ```
 */
export function nullMarkerRejection(
  keyField: string,
  key: string,
  fields: OutboundRecord['fields'],
): string | undefined {
  const named = [
    ...(key === BULK_NULL_MARKER ? [keyField] : []),
    ...Object.entries(fields)
      .filter(([, value]) => value === BULK_NULL_MARKER)
      .map(([name]) => name),
  ];
  if (named.length === 0) return undefined;
  const which = named.length === 1 ? `field ${named[0]} holds` : `fields ${named.join(', ')} hold`;
  return (
    `${which} the literal text "${BULK_NULL_MARKER}", which Bulk API 2.0 reads as "set to null": sending it would ` +
    `erase the value in Salesforce (and then in the ERP), so tandem did not send this record. ` +
    `Change the value (for example to "N/A") or clear it on purpose, then the record syncs again.`
  );
}
