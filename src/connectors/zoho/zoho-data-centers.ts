/** Zoho's data centres: each has its own accounts server, API domain and upload host. */
export const ZOHO_DATA_CENTERS = ['us', 'eu', 'in', 'au', 'jp', 'ca', 'sa', 'cn'] as const;
export type ZohoDataCenter = (typeof ZOHO_DATA_CENTERS)[number];

export interface ZohoHosts {
  /** Zoho Accounts (the token endpoint lives at `/oauth/v2/token`). */
  readonly accountsUrl: string;
  /** The API domain (`/crm/v7/…`, `/crm/bulk/v7/…`). */
  readonly apiDomain: string;
  /** The file upload host (`/crm/v7/upload`). */
  readonly uploadUrl: string;
}

/** Hosts per data centre, as the Zoho SDK's DC tables give them. */
export const ZOHO_HOSTS: Readonly<Record<ZohoDataCenter, ZohoHosts>> = Object.freeze({
  us: {
    accountsUrl: 'https://accounts.zoho.com',
    apiDomain: 'https://www.zohoapis.com',
    uploadUrl: 'https://content.zohoapis.com',
  },
  eu: {
    accountsUrl: 'https://accounts.zoho.eu',
    apiDomain: 'https://www.zohoapis.eu',
    uploadUrl: 'https://content.zohoapis.eu',
  },
  in: {
    accountsUrl: 'https://accounts.zoho.in',
    apiDomain: 'https://www.zohoapis.in',
    uploadUrl: 'https://content.zohoapis.in',
  },
  au: {
    accountsUrl: 'https://accounts.zoho.com.au',
    apiDomain: 'https://www.zohoapis.com.au',
    uploadUrl: 'https://content.zohoapis.com.au',
  },
  jp: {
    accountsUrl: 'https://accounts.zoho.jp',
    apiDomain: 'https://www.zohoapis.jp',
    uploadUrl: 'https://content.zohoapis.jp',
  },
  ca: {
    accountsUrl: 'https://accounts.zohocloud.ca',
    apiDomain: 'https://www.zohoapis.ca',
    uploadUrl: 'https://upload.zohocloud.ca',
  },
  sa: {
    accountsUrl: 'https://accounts.zoho.sa',
    apiDomain: 'https://www.zohoapis.sa',
    uploadUrl: 'https://files.zoho.sa',
  },
  cn: {
    accountsUrl: 'https://accounts.zoho.com.cn',
    apiDomain: 'https://www.zohoapis.com.cn',
    uploadUrl: 'https://content.zohoapis.com.cn',
  },
});
