import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorCommand } from '../../src/cli/commands/emulator.js';
import { startSalesforceEmulator } from '../../src/emulator/salesforce/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { api, ingest, token, adminRequest } from './emulator-http.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-emulator-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('dataDir persistence', () => {
  it('keeps records, ids, timestamps, deletes and the id counter across a restart', async () => {
    const dataDir = await tempDir();
    const first = await startSalesforceEmulator({ dataDir });
    const info = await ingest(
      api(first, await token(first)),
      { object: 'Account', operation: 'insert' },
      'Name,External_Id__c,AnnualRevenue\nKept,P-1,1500.5\nGone,P-2,\n',
    );
    expect(info['state']).toBe('JobComplete');
    const gone = first.store.list('Account').find((a) => a['Name'] === 'Gone')!;
    first.store.delete('Account', gone['Id'] as string);
    const before = first.store.list('Account', { includeDeleted: true });
    await first.close();

    const second = await startSalesforceEmulator({ dataDir });
    try {
      expect(second.store.list('Account', { includeDeleted: true })).toEqual(before);
      expect(second.store.count('Account')).toBe(1);
      const added = second.store.insert('Account', { Name: 'After restart', External_Id__c: 'P-3' });
      expect(before.map((r) => r['Id'])).not.toContain(added['Id']);
      // The external ID index is rebuilt: an upsert on P-1 updates, it does not duplicate.
      const up = await ingest(
        api(second, await token(second)),
        { object: 'Account', operation: 'upsert', externalIdFieldName: 'External_Id__c' },
        'External_Id__c,Name\nP-1,Kept and renamed\n',
      );
      expect(up).toMatchObject({ state: 'JobComplete', numberRecordsFailed: 0 });
      expect(second.store.count('Account')).toBe(2);
    } finally {
      await second.close();
    }
  });

  it('adds objects and fields from a YAML definitions file and rejects invalid ones', async () => {
    const dir = await tempDir();
    const file = join(dir, 'defs.yaml');
    await writeFile(
      file,
      [
        'objects:',
        '  - name: Invoice__c',
        '    keyPrefix: a01',
        '    fields:',
        '      - { name: Name, type: string, length: 80, nillable: false }',
        '      - { name: Amount__c, type: currency }',
        '      - { name: Account__c, type: reference, referenceTo: [Account], relationshipName: Account__r }',
        '      - { name: Invoice_Key__c, type: string, externalId: true, unique: true }',
        '  - name: Account',
        '    fields:',
        '      - { name: Tier__c, type: picklist, picklistValues: [Gold, Silver], restrictedPicklist: true }',
      ].join('\n'),
    );
    const sf = await startSalesforceEmulator({ definitionsFile: file });
    try {
      const call = api(sf, await token(sf));
      const describe = (await call('/sobjects/Invoice__c/describe')).json<{
        fields: { name: string; type: string }[];
      }>();
      expect(describe.fields.map((f) => f.name)).toEqual([
        'Id',
        'IsDeleted',
        'CreatedDate',
        'LastModifiedDate',
        'SystemModstamp',
        'Name',
        'Amount__c',
        'Account__c',
        'Invoice_Key__c',
      ]);
      const acct = sf.store.insert('Account', { Name: 'Gold Co', Tier__c: 'Gold', External_Id__c: 'G' });
      expect(() => sf.store.insert('Account', { Name: 'Bronze Co', Tier__c: 'Bronze' })).toThrow(
        /INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST/,
      );
      const info = await ingest(
        call,
        { object: 'Invoice__c', operation: 'upsert', externalIdFieldName: 'Invoice_Key__c' },
        'Invoice_Key__c,Name,Amount__c,Account__r.External_Id__c\nI-1,First,10.5,G\n',
      );
      expect(info).toMatchObject({ state: 'JobComplete', numberRecordsFailed: 0 });
      const [invoice] = sf.store.list('Invoice__c');
      expect(invoice).toMatchObject({ Name: 'First', Amount__c: 10.5, Account__c: acct['Id'] });
      expect(String(invoice?.['Id'])).toMatch(/^a01/);
    } finally {
      await sf.close();
    }
    await writeFile(file, 'objects:\n  - name: Bad\n    fields:\n      - { name: X, type: blob }\n');
    await expect(startSalesforceEmulator({ definitionsFile: file })).rejects.toThrow(/type one of/);
  });
});

describe('tandem emulator salesforce', () => {
  it('prints the URL and default credentials, applies fault flags, and closes on stop (saving --data)', async () => {
    const dataDir = await tempDir();
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (d: Buffer) => (printed += d.toString()));
    let url = '';
    const command = emulatorCommand({
      stdout,
      logger: silentLogger(),
      waitForStop: async (running) => {
        url = running.url;
        const faults = (await adminRequest(running, `/__emulator/faults`)).json();
        expect(faults).toEqual({
          seed: 7,
          errorRate: 0.25,
          errorKinds: ['503', '429'],
          jobDelayMs: 5,
          tokenTtlSeconds: 60,
        });
        running.store.insert('Account', { Name: 'From CLI run' });
      },
    });
    await command.parseAsync(
      [
        'salesforce',
        '--port',
        '0',
        '--data',
        dataDir,
        '--fault-rate',
        '0.25',
        '--fault-kinds',
        '503,429',
        '--slow-jobs',
        '5',
        '--token-ttl',
        '60',
        '--seed',
        '7',
      ],
      { from: 'user' },
    );
    expect(printed).toContain(`Salesforce emulator listening on ${url}`);
    expect(printed).toContain('client id: tandem-emulator');
    expect(printed).toContain('client secret: tandem-emulator-secret');
    expect(printed).toContain('Salesforce emulator stopped');
    const reopened = await startSalesforceEmulator({ dataDir });
    try {
      expect(reopened.store.list('Account').map((a) => a['Name'])).toEqual(['From CLI run']);
    } finally {
      await reopened.close();
    }
  });

  it('keeps a non-default secret off stdout and rejects invalid flags', async () => {
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (d: Buffer) => (printed += d.toString()));
    await emulatorCommand({ stdout, logger: silentLogger(), waitForStop: async () => {} }).parseAsync(
      ['salesforce', '--client-secret', 's3cr3t-value'],
      { from: 'user' },
    );
    expect(printed).not.toContain('s3cr3t-value');
    const bad = emulatorCommand({ stdout, logger: silentLogger(), waitForStop: async () => {} });
    bad.exitOverride();
    for (const sub of bad.commands) sub.exitOverride().configureOutput({ writeErr: () => {} });
    await expect(bad.parseAsync(['salesforce', '--fault-rate', '2'], { from: 'user' })).rejects.toThrow(/from 0 to 1/);
    let code = -1;
    let errors = '';
    await emulatorCommand({
      stdout,
      stderr: { write: (t: string) => (errors += t) },
      setExitCode: (c) => (code = c),
      logger: silentLogger(),
      waitForStop: async () => {},
    }).parseAsync(['salesforce', '--fault-kinds', '418'], { from: 'user' });
    expect(code).toBe(2);
    expect(errors).toMatch(/errorKinds/);
  });
});
