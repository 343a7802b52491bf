import { describe, expect, it } from 'vitest';
import type { OutboundRecord, WriteResult } from '../../../src/connectors/connector.js';
import type { HubSpotHttp, HubSpotResponse } from '../../../src/connectors/hubspot/hubspot-http.js';
import { HubSpotSink } from '../../../src/connectors/hubspot/hubspot-sink.js';
import type { HubSpotObjectAccess } from '../../../src/connectors/hubspot/hubspot-source.js';
import type { PropertyInfo } from '../../../src/connectors/hubspot/property-schema.js';
import type { StreamRef } from '../../../src/model/stream.js';
import { silentLogger } from '../../../src/util/logger.js';
import { MemoryJobLedger } from '../../support/memory-job-ledger.js';

const CONTACTS: StreamRef = { name: 'customer', entity: 'contacts', keyField: 'erp_id', fields: ['city'], options: {} };

const property = (name: string): PropertyInfo => ({
  name,
  label: name,
  type: 'string',
  fieldType: 'text',
  hasUniqueValue: name === 'erp_id',
  readOnly: false,
});

interface Input {
  readonly id: string;
  readonly properties: Readonly<Record<string, string>>;
}

/**
 * A HubSpot batch upsert endpoint in memory: answers every input as created, one event-loop turn later, and records
 * how many requests were in flight at once and which keys each one carried.
 */
function fakeHubSpot() {
  const seen = { maxInFlight: 0, overlapping: [] as string[], writes: [] as { key: string; city: string }[] };
  const inFlight = new Map<string, number>();
  let open = 0;
  const http = {
    async call(_method: string, _path: string, body: { inputs: Input[] }): Promise<HubSpotResponse> {
      open += 1;
      seen.maxInFlight = Math.max(seen.maxInFlight, open);
      for (const input of body.inputs) {
        if (inFlight.has(input.id)) seen.overlapping.push(input.id);
        inFlight.set(input.id, (inFlight.get(input.id) ?? 0) + 1);
      }
      await new Promise((resolve) => setImmediate(resolve));
      for (const input of body.inputs) {
        seen.writes.push({ key: input.id, city: input.properties['city'] ?? '' });
        const n = inFlight.get(input.id)! - 1;
        if (n === 0) inFlight.delete(input.id);
        else inFlight.set(input.id, n);
      }
      open -= 1;
      return {
        status: 201,
        headers: {},
        body: {
          status: 'COMPLETE',
          results: body.inputs.map((input) => ({
            id: `hs-${input.id}`,
            new: true,
            properties: { erp_id: input.id },
          })),
        },
      };
    },
  };
  const access: HubSpotObjectAccess = {
    http: http as unknown as HubSpotHttp,
    properties: () => Promise.resolve(new Map(['erp_id', 'city'].map((n) => [n, property(n)]))),
    modifiedProperty: () => Promise.resolve('lastmodifieddate'),
    streamOptions: () => {
      throw new Error('not used by the sink');
    },
    indexLagSeconds: 30,
  };
  return { access, seen };
}

const record = (i: number, city = 'Lyon'): OutboundRecord => ({
  key: `C${String(i).padStart(4, '0')}`,
  op: 'upsert',
  fields: { city },
});

async function writeAll(
  sink: HubSpotSink,
  batches: readonly (readonly OutboundRecord[])[],
  applyTurns = 0,
): Promise<{ results: WriteResult[]; yields: number }> {
  async function* source(): AsyncGenerator<readonly OutboundRecord[]> {
    for (const b of batches) yield b;
  }
  const results: WriteResult[] = [];
  let yields = 0;
  for await (const batch of sink.write(CONTACTS, source(), { ledger: new MemoryJobLedger() })) {
    results.push(...batch);
    yields += 1;
    // The consumer applying the results (the state store's transaction) while the other requests are answered.
    for (let t = 0; t < applyTurns; t += 1) await new Promise((resolve) => setImmediate(resolve));
  }
  return { results, yields };
}

describe('HubSpot sink: requests in flight across batches', () => {
  it('keeps `concurrency` requests in flight although each batch the pipeline hands it makes only one', async () => {
    const { access, seen } = fakeHubSpot();
    const sink = new HubSpotSink(access, { concurrency: 4, traceIds: false }, silentLogger());
    const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 100 }, (_, i) => record(b * 100 + i)));
    const { results } = await writeAll(sink, batches);
    expect(results).toHaveLength(800);
    expect(new Set(results.map((r) => r.key)).size).toBe(800);
    expect(results.every((r) => r.status === 'created' && r.nativeId === `hs-${r.key}`)).toBe(true);
    expect(sink.requests.upsert).toBe(8);
    expect(seen.maxInFlight).toBe(4);
  });

  it('a key in two batches is never in two requests at once, and its writes land in order', async () => {
    const { access, seen } = fakeHubSpot();
    const sink = new HubSpotSink(access, { concurrency: 4, traceIds: false }, silentLogger());
    const first = Array.from({ length: 100 }, (_, i) => record(i, 'Lyon'));
    // The second batch writes key 42 again (and 99 others): its request must wait for the first one's answer.
    const second = [record(42, 'Oslo'), ...Array.from({ length: 99 }, (_, i) => record(1000 + i))];
    const third = Array.from({ length: 100 }, (_, i) => record(2000 + i));
    const { results } = await writeAll(sink, [first, second, third]);
    expect(results).toHaveLength(300);
    expect(seen.overlapping).toEqual([]);
    expect(seen.writes.filter((w) => w.key === 'C0042').map((w) => w.city)).toEqual(['Lyon', 'Oslo']);
    // The third batch did not wait for the second: it overlaps with one of the others.
    expect(seen.maxInFlight).toBeGreaterThanOrEqual(2);
  });

  it('hands over the results of every request answered while the consumer applied the last ones in one batch', async () => {
    const { access } = fakeHubSpot();
    const sink = new HubSpotSink(access, { concurrency: 4, traceIds: false }, silentLogger());
    const batches = [Array.from({ length: 400 }, (_, i) => record(i))];
    const { results, yields } = await writeAll(sink, batches, 5);
    expect(results).toHaveLength(400);
    // The first answer, then the three that came while it was applied: two hand-overs, not four.
    expect(yields).toBe(2);
  });
});
