/**
 * Which way a field flows. `both` (the default): edits on either side are synced. `erp-to-crm`: the ERP owns the
 * field; CRM edits are not written back (and so never conflict). `crm-to-erp`: the reverse.
 */
export type Direction = 'both' | 'erp-to-crm' | 'crm-to-erp';
