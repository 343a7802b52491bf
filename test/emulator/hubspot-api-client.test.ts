import { Client } from '@hubspot/api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubSpotEmulator, type RunningHubSpotEmulator } from '../../src/emulator/hubspot/index.js';

/**
 * HubSpot's official Node client (@hubspot/api-client 13.5), unchanged, against the emulator over a real socket:
 * only its basePath points at the emulator.
 */
describe('@hubspot/api-client against the HubSpot emulator', () => {
  let hs: RunningHubSpotEmulator;
  let client: Client;

  beforeAll(async () => {
    hs = await startHubSpotEmulator();
    client = new Client({ accessToken: hs.privateAppToken, basePath: hs.url });
    await client.crm.properties.coreApi.create('contacts', {
      name: 'erp_customer_no',
      label: 'ERP customer number',
      type: 'string' as never,
      fieldType: 'text' as never,
      groupName: 'contactinformation',
      hasUniqueValue: true,
    });
  });
  afterAll(async () => {
    await hs?.close();
  });

  it('upserts by a unique property, reads back by id and by that property, searches and archives', async () => {
    const upserted = await client.crm.contacts.batchApi.upsert({
      inputs: [
        { id: 'C-1', idProperty: 'erp_customer_no', properties: { email: 'Ana@Acme.io', firstname: 'Ana' } },
        { id: 'C-2', idProperty: 'erp_customer_no', properties: { email: 'bo@acme.io', firstname: 'Bo' } },
      ],
    });
    expect(upserted.status).toBe('COMPLETE');
    expect(upserted.results).toHaveLength(2);
    expect(upserted.results.every((r) => r._new === true)).toBe(true);
    const ana = upserted.results.find((r) => r.properties['erp_customer_no'] === 'C-1');
    expect(ana?.properties['email']).toBe('ana@acme.io');
    expect(ana?.createdAt).toBeInstanceOf(Date);

    const again = await client.crm.contacts.batchApi.upsert({
      inputs: [{ id: 'C-1', idProperty: 'erp_customer_no', properties: { lastname: 'Silva' } }],
    });
    expect(again.results[0]?._new).toBe(false);
    expect(again.results[0]?.id).toBe(ana?.id);

    const read = await client.crm.contacts.batchApi.read({
      idProperty: 'erp_customer_no',
      inputs: [{ id: 'C-1' }, { id: 'C-2' }],
      properties: ['firstname', 'lastname', 'erp_customer_no'],
      propertiesWithHistory: [],
    });
    expect(read.results.map((r) => r.properties['firstname']).sort()).toEqual(['Ana', 'Bo']);
    expect(read.results.find((r) => r.id === ana?.id)?.properties['lastname']).toBe('Silva');
    const one = await client.crm.contacts.basicApi.getById(ana!.id, ['email', 'lastname']);
    expect(one.properties['lastname']).toBe('Silva');

    const found = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ' as never, value: 'bo@acme.io' }] }],
      sorts: ['hs_object_id'],
      properties: ['email', 'firstname'],
      limit: 10,
      after: '0',
    });
    expect(found.total).toBe(1);
    expect(found.results[0]?.properties['firstname']).toBe('Bo');

    await client.crm.contacts.batchApi.archive({ inputs: [{ id: ana!.id }] });
    const live = await client.crm.contacts.basicApi.getPage(100);
    expect(live.results.map((r) => r.id)).not.toContain(ana!.id);
    const archived = await client.crm.contacts.basicApi.getPage(100, undefined, undefined, undefined, undefined, true);
    expect(archived.results.map((r) => r.id)).toEqual([ana!.id]);
    expect(archived.results[0]?.archived).toBe(true);
  });

  it('surfaces HubSpot error bodies: a whole-batch 400 for one bad record without trace ids, 404 for a missing id', async () => {
    const failure = await client.crm.contacts.batchApi
      .upsert({
        inputs: [
          { id: 'C-10', idProperty: 'erp_customer_no', properties: { email: 'ok@acme.io' } },
          { id: 'C-11', idProperty: 'erp_customer_no', properties: { email: 'not-an-email' } },
        ],
      })
      .then(
        () => undefined,
        (e: unknown) => e as { code: number; body: { category: string; message: string } },
      );
    expect(failure?.code).toBe(400);
    expect(failure?.body.category).toBe('VALIDATION_ERROR');
    expect(failure?.body.message).toContain('INVALID_EMAIL');
    expect(hs.store.list('contacts').some((r) => r.properties['erp_customer_no'] === 'C-10')).toBe(false);
    const missing = await client.crm.contacts.basicApi.getById('999999').then(
      () => undefined,
      (e: unknown) => e as { code: number },
    );
    expect(missing?.code).toBe(404);
  });
});
