import type { DemoAccount } from './demo-crm.js';

/** Which CRM field holds each part of a demo account (the same pairs as the demo's tandem.yaml for that CRM). */
export type DemoAccountFields = Readonly<Record<keyof DemoAccount, string>>;

const NUMERIC: ReadonlySet<keyof DemoAccount> = new Set(['annual_revenue', 'employees']);

/** The account (or a change to it) as CRM field values. */
export function nativeAccount(
  fields: DemoAccountFields,
  account: Partial<DemoAccount>,
): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [part, value] of Object.entries(account) as [keyof DemoAccount, string | number | undefined][]) {
    if (value !== undefined) out[fields[part]] = value;
  }
  return out;
}

/** The account held in CRM field values (`read` gives a field's value; absent and empty read as '' or 0). */
export function accountOf(
  fields: DemoAccountFields,
  read: (field: string) => string | number | boolean | null | undefined,
): DemoAccount {
  const out: Record<string, string | number> = {};
  for (const [part, field] of Object.entries(fields) as [keyof DemoAccount, string][]) {
    const value = read(field);
    out[part] = NUMERIC.has(part) ? Number(value ?? 0) : value === null || value === undefined ? '' : String(value);
  }
  return out as unknown as DemoAccount;
}
