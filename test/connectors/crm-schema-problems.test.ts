import { afterEach, describe, expect, it } from 'vitest';
import { HubSpotConnector } from '../../src/connectors/hubspot/hubspot-connector.js';
import { schemaProblemsOf, type SchemaProblem } from '../../src/connectors/schema-problem.js';
import { startHubSpotEmulator } from '../../src/emulator/hubspot/index.js';
import { startZohoEmulator } from '../../src/emulator/zoho/index.js';
import type { StreamRef } from '../../src/model/stream.js';
import { EXIT, TandemError } from '../../src/util/errors.js';
import { zohoConnectorFor } from '../contract/zoho-fixture.js';

let opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.reverse()) await o.close().catch(() => undefined);
  opened = [];
});

/** The error `init` throws for these streams (it must throw one, exit 2, carrying its problems). */
async function problemsOf(init: Promise<void>): Promise<{ error: TandemError; problems: SchemaProblem[] }> {
  const error = await init.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TandemError);
  const tandemError = error as TandemError;
  expect(tandemError.exitCode).toBe(EXIT.usage);
  return { error: tandemError, problems: schemaProblemsOf(tandemError) };
}

type Brief = Pick<SchemaProblem, 'kind' | 'field' | 'closest'>;
const brief = (problems: readonly Brief[]) =>
  problems
    .map((p) => ({ kind: p.kind, field: p.field, closest: p.closest }))
    .sort((a, b) => `${a.kind}${a.field}`.localeCompare(`${b.kind}${b.field}`));

describe('CRM start-up schema checks report every problem of a stream at once (against the emulators)', () => {
  it('HubSpot: unknown properties with three closest names, a non-unique key, a type mismatch, a read-only written property', async () => {
    const hs = await startHubSpotEmulator({ port: 0 });
    opened.push(hs);
    const crm = new HubSpotConnector({
      baseUrl: hs.url,
      auth: { kind: 'private-app', accessToken: hs.privateAppToken },
    });
    opened.push(crm);
    hs.store.createProperty(hs.store.type('companies')!, { name: 'erp_id', type: 'string', hasUniqueValue: true });
    const stream: StreamRef = {
      name: 'account',
      entity: 'companies',
      keyField: 'name', // exists, but without unique values
      fields: ['name', 'nmae', 'cty', 'numberofemployees', 'hs_object_id', 'createdate'],
      fieldTypes: { numberofemployees: 'boolean' },
      // createdate is read-only too, but only read (crm-to-erp): not a problem.
      writtenFields: ['name', 'nmae', 'cty', 'numberofemployees', 'hs_object_id'],
      options: {},
    };
    const { error, problems } = await problemsOf(crm.init([stream]));
    expect(brief(problems)).toEqual(
      brief([
        { kind: 'missing-field', field: 'cty', closest: ['city', 'name', 'phone'] },
        { kind: 'missing-field', field: 'nmae', closest: ['name', 'city', 'domain'] },
        { kind: 'not-unique', field: 'name' },
        { kind: 'read-only', field: 'hs_object_id' },
        { kind: 'type-mismatch', field: 'numberofemployees' },
      ]),
    );
    for (const p of problems) expect(error.message).toContain(p.message);
    expect(error.code).toBe('HUBSPOT_SCHEMA_MISMATCH');

    const unknownObject = await problemsOf(crm.init([{ ...stream, entity: 'widgets' }]));
    expect(unknownObject.problems.map((p) => p.kind)).toEqual(['missing-entity']);
    // A stream that fits passes.
    await crm.init([
      {
        ...stream,
        keyField: 'erp_id',
        fields: ['name', 'city', 'createdate'],
        fieldTypes: {},
        writtenFields: ['name', 'city'],
      },
    ]);
  });

  it('Zoho: unknown fields with three closest names, a non-unique key, a type mismatch, a read-only written field', async () => {
    const zoho = await startZohoEmulator({ port: 0 });
    opened.push(zoho);
    const crm = zohoConnectorFor(zoho, 'rest');
    opened.push(crm);
    const stream: StreamRef = {
      name: 'contact',
      entity: 'Contacts',
      keyField: 'Email', // exists, not unique
      fields: ['Last_Name', 'Frist_Name', 'Phnoe', 'Date_of_Birth', 'Full_Name', 'Modified_Time'],
      fieldTypes: { Date_of_Birth: 'boolean' },
      writtenFields: ['Last_Name', 'Frist_Name', 'Phnoe', 'Date_of_Birth', 'Full_Name'],
      options: {},
    };
    const { error, problems } = await problemsOf(crm.init([stream]));
    expect(brief(problems)).toEqual(
      brief([
        { kind: 'missing-field', field: 'Frist_Name', closest: ['First_Name', 'Last_Name', 'Full_Name'] },
        { kind: 'missing-field', field: 'Phnoe', closest: ['Phone', 'Email', 'Full_Name'] },
        { kind: 'not-unique', field: 'Email' },
        { kind: 'read-only', field: 'Full_Name' },
        { kind: 'type-mismatch', field: 'Date_of_Birth' },
      ]),
    );
    for (const p of problems) expect(error.message).toContain(p.message);
    expect(error.code).toBe('ZOHO_SCHEMA_MISMATCH');

    const unknownModule = await problemsOf(crm.init([{ ...stream, entity: 'Widgets' }]));
    expect(unknownModule.problems.map((p) => p.kind)).toEqual(['missing-entity']);
    // Read-only fields read one way (Modified_Time, Full_Name) are no problem.
    await crm.init([
      {
        ...stream,
        keyField: 'ERP_Customer_No',
        fields: ['Last_Name', 'Full_Name', 'Modified_Time'],
        fieldTypes: {},
        writtenFields: ['Last_Name'],
      },
    ]);
  });
});
