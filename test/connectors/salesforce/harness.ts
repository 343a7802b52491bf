import { expect } from 'vitest';
import { request } from 'undici';
import type { RunningSalesforceEmulator } from '../../../src/emulator/salesforce/index.js';
import { SalesforceConnector } from '../../../src/connectors/salesforce/salesforce-connector.js';
import type { SalesforceConnectorConfigInput } from '../../../src/connectors/salesforce/salesforce-connector-config.js';
import type { HttpClient } from '../../../src/connectors/salesforce/http-client.js';
import type { OutboundRecord, WriteResult } from '../../../src/connectors/connector.js';
import type { StreamRef } from '../../../src/model/stream.js';

export const accountStream: StreamRef = Object.freeze({
  name: 'account',
  entity: 'Account',
  keyField: 'External_Id__c',
  fields: ['Name', 'Phone', 'Description', 'NumberOfEmployees', 'AnnualRevenue'],
  options: {},
});

/** A connector against the emulator with fast polls and a short retry budget. */
export function connectTo(
  emu: RunningSalesforceEmulator,
  overrides: Partial<SalesforceConnectorConfigInput> = {},
  http?: HttpClient,
): SalesforceConnector {
  return new SalesforceConnector(
    {
      loginUrl: emu.url,
      auth: { flow: 'client_credentials', clientId: emu.clientId, clientSecret: emu.clientSecret },
      pollIntervalMs: 10,
      pollMaxIntervalMs: 50,
      pollTimeoutMs: 20_000,
      retry: { initialDelayMs: 5, maxDelayMs: 40, maxRetries: 10 },
      ...overrides,
    },
    http ? { http } : {},
  );
}

/** undici's request, recording `METHOD /path` of every call and calling `before` first. */
export function recordingHttp(calls: string[], before?: (method: string, path: string) => void): HttpClient {
  return async (url, options) => {
    const path = new URL(url).pathname;
    before?.(options.method, path);
    calls.push(`${options.method} ${path}`);
    return request(url, options);
  };
}

export async function* batchesOf(
  records: readonly OutboundRecord[],
  size = 25,
): AsyncGenerator<readonly OutboundRecord[]> {
  for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
}

export async function collect<T>(it: AsyncIterable<readonly T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of it) out.push(...page);
  return out;
}

export function upserts(
  n: number,
  from = 0,
  fields: (i: number) => OutboundRecord['fields'] = (i) => ({ Name: `Account ${i}` }),
): OutboundRecord[] {
  return Array.from({ length: n }, (_, k) => ({
    key: `K-${from + k}`,
    op: 'upsert' as const,
    fields: fields(from + k),
  }));
}

/** Results by key, failing the test when a key has two results. */
export function byKey(results: readonly WriteResult[]): Map<string, WriteResult> {
  const m = new Map<string, WriteResult>();
  for (const r of results) {
    expect(m.has(r.key), `one result per record, ${r.key} twice`).toBe(false);
    m.set(r.key, r);
  }
  return m;
}

/** External IDs of live Accounts, with how many records carry each. */
export function keyCounts(emu: RunningSalesforceEmulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of emu.store.list('Account')) {
    const k = String(r['External_Id__c']);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}
