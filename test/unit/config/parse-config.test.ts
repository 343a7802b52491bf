import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { parseConfig } from '../../../src/config/parse-config.js';
import type { SalesforceSettings } from '../../../src/connectors/salesforce/salesforce-connector-config.js';
import { ConfigError, type ConfigIssue } from '../../../src/util/errors.js';

const ENV = {
  ERP_DATABASE_URL: 'postgres://tandem@db:5432/erp',
  SF_CLIENT_ID: 'cid',
  SF_CLIENT_SECRET: 'sekret-value-123',
};

const VALID = `sync: acme
erp:
  type: postgres
  url: \${ERP_DATABASE_URL}
crm:
  type: salesforce
  loginUrl: https://acme.my.salesforce.com/
  auth: { flow: client_credentials, clientId: "\${SF_CLIENT_ID}", clientSecret: "\${SF_CLIENT_SECRET}" }
objects:
  account:
    erp: { table: customers, key: customer_no, updatedAt: updated_at, capture: watermark }
    crm: { object: Account, externalId: External_Id__c }
    policy: account.yaml
    fields:
      name:    { erp: name, crm: Name, transforms: [trim] }
      phone:   { erp: phone, crm: Phone, transforms: [{ phone: { format: e164, defaultCountry: US } }] }
      status:  { erp: status, crm: Type, transforms: [{ enum: { A: Customer, P: Prospect } }] }
      credit:  { erp: credit_limit, crm: Credit_Limit__c, type: number, direction: erp-to-crm }
      contact: { erp: contact_name, crm: [FirstName, LastName], transforms: [{ split: ' ' }] }
`;

/** The 1-based line of the first line of `text` that contains `needle` (computed from the text, not the parser). */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`test bug: ${needle} not in text`);
  return index + 1;
}

function issuesOf(text: string, env: Record<string, string | undefined> = ENV): readonly ConfigIssue[] {
  try {
    parseConfig(text, 'tandem.yaml', env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

function errorOf(text: string, env: Record<string, string | undefined> = ENV): ConfigError {
  try {
    parseConfig(text, 'tandem.yaml', env);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig: a valid file', () => {
  const config = parseConfig(VALID, 'conf/tandem.yaml', ENV);

  it('substitutes env references and applies defaults', () => {
    expect(config.file).toBe(resolve('conf/tandem.yaml'));
    expect(config.sync).toBe('acme');
    expect(config.erp).toEqual({
      type: 'postgres',
      settings: { url: ENV.ERP_DATABASE_URL, tandemSchema: 'tandem', batchSize: 5000 },
    });
    const crm = config.crm.settings as SalesforceSettings;
    expect(config.crm.type).toBe('salesforce');
    expect(crm.loginUrl).toBe('https://acme.my.salesforce.com');
    expect(crm.apiVersion).toBe('62.0');
    expect(crm.auth).toEqual({
      flow: 'client_credentials',
      clientId: 'cid',
      clientSecret: ENV.SF_CLIENT_SECRET,
    });
    expect(crm.instanceUrl ?? null).toBeNull();
    expect(config.schedule).toBeNull();
  });

  it('resolves folders against the config file', () => {
    expect(config.state).toEqual({ url: null, dataDir: resolve('conf/.tandem/state'), schema: 'tandem' });
    expect(config.policies.dir).toBe(resolve('conf/conflict-rules'));
  });

  it('builds object and field mappings with their lines', () => {
    const [account] = config.objects;
    expect(account?.name).toBe('account');
    expect(account?.line).toBe(lineOf(VALID, '  account:'));
    expect(account?.erp).toEqual({
      table: 'public.customers',
      key: 'customer_no',
      options: { updatedAt: 'updated_at', capture: 'watermark' },
    });
    expect(account?.crm).toEqual({ object: 'Account', externalId: 'External_Id__c', options: {} });
    expect(account?.policy).toBe('account.yaml');
    expect(account?.fields.map((f) => f.name)).toEqual(['name', 'phone', 'status', 'credit', 'contact']);
    const [name, phone, status, credit, contact] = account?.fields ?? [];
    expect(name).toEqual({
      name: 'name',
      line: lineOf(VALID, 'name:    {'),
      erp: ['name'],
      crm: ['Name'],
      direction: 'both',
      type: 'string',
      transforms: [{ kind: 'trim' }],
    });
    expect(phone?.transforms).toEqual([{ kind: 'phone', format: 'e164', defaultCountry: 'US' }]);
    expect(status?.transforms).toEqual([{ kind: 'enum', map: { A: 'Customer', P: 'Prospect' }, unmapped: 'pass' }]);
    expect(credit).toMatchObject({ type: 'number', direction: 'erp-to-crm' });
    expect(contact).toMatchObject({
      erp: ['contact_name'],
      crm: ['FirstName', 'LastName'],
      transforms: [{ kind: 'split-join', separator: ' ' }],
    });
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.objects[0]?.fields[0]?.transforms)).toBe(true);
    expect(Object.isFrozen((config.crm.settings as SalesforceSettings).auth)).toBe(true);
  });

  it('reads jwt auth, schedule, embedded ERP and ${VAR:-default}', () => {
    const text = VALID.replace('  url: ${ERP_DATABASE_URL}', '  dataDir: ${ERP_DIR:-.tandem/erp}')
      .replace(
        / {2}auth: .*\n/,
        '  auth:\n    flow: jwt\n    clientId: cid\n    username: int@acme.com\n    privateKeyPem: ${SF_KEY}\n',
      )
      .replace('objects:', 'schedule: { cron: "*/5 * * * *" }\nobjects:');
    const c = parseConfig(text, '/etc/tandem/tandem.yaml', { SF_KEY: '-----BEGIN PRIVATE KEY-----' });
    // Relative paths stay as written; the connector resolves them against the file's folder when it opens.
    expect(c.erp).toEqual({
      type: 'postgres',
      settings: { dataDir: '.tandem/erp', tandemSchema: 'tandem', batchSize: 5000 },
    });
    expect((c.crm.settings as SalesforceSettings).auth).toEqual({
      flow: 'jwt',
      clientId: 'cid',
      username: 'int@acme.com',
      privateKeyPem: '-----BEGIN PRIVATE KEY-----',
    });
    expect(c.schedule).toEqual({ cron: '*/5 * * * *' });
  });
});

describe('parseConfig: every problem at once, with file, line and the fix', () => {
  it('reports an unknown key with the closest allowed key, at the key', () => {
    const text = VALID.replace('{ table: customers,', '{ tabel: customers,');
    const issues = issuesOf(text);
    const unknown = issues.find((i) => i.path === 'objects.account.erp.tabel');
    expect(unknown?.message).toBe(
      "unknown key 'tabel'; did you mean 'table'? allowed: table, key, primaryKey, updatedAt, capture, lookbackSeconds, deletes, softDeleteColumn",
    );
    expect(unknown?.line).toBe(lineOf(text, 'tabel'));
    expect(unknown?.column).toBe((text.split('\n')[lineOf(text, 'tabel') - 1] ?? '').indexOf('tabel') + 1);
    expect(
      issues.some((i) => i.path === 'objects.account.erp.table' && i.message.includes('missing required key')),
    ).toBe(true);
  });

  it('formats the message one issue per line as file:line:column path: message', () => {
    const text = VALID.replace('transforms: [trim]', 'transforms: [phon]').replace(
      'direction: erp-to-crm',
      'direction: sideways',
    );
    const error = errorOf(text);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.exitCode).toBe(2);
    const lines = error.message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
    const phonLine = lineOf(text, '[phon]');
    const phonColumn = (text.split('\n')[phonLine - 1] ?? '').indexOf('phon') + 1;
    expect(lines).toContain(
      `tandem.yaml:${phonLine}:${phonColumn} objects.account.fields.name.transforms[0]: unknown transform 'phon'; did you mean 'phone'? ` +
        `allowed: trim, lowercase, uppercase, phone, enum, split. Fix: write a name (trim) or a one-key map ({ split: " " })`,
    );
    expect(
      lines.some(
        (l) =>
          l.startsWith(`tandem.yaml:${lineOf(text, 'sideways')}:`) &&
          l.includes("'sideways' is not allowed; allowed: both, erp-to-crm, crm-to-erp"),
      ),
    ).toBe(true);
    expect(error.issues).toHaveLength(2);
  });

  it('collects every unset environment variable with its line', () => {
    const issues = issuesOf(VALID, {});
    const unset = issues.filter((i) => i.message.includes('is not set'));
    expect(unset.map((i) => i.message.match(/'(\w+)'/)?.[1])).toEqual([
      'ERP_DATABASE_URL',
      'SF_CLIENT_ID',
      'SF_CLIENT_SECRET',
    ]);
    expect(unset.map((i) => i.line)).toEqual([
      lineOf(VALID, 'ERP_DATABASE_URL'),
      lineOf(VALID, 'SF_CLIENT_ID'),
      lineOf(VALID, 'SF_CLIENT_ID'),
    ]);
    expect(issues).toHaveLength(3); // no second complaint about the emptied values
  });

  it('refuses literal secrets without echoing them', () => {
    const text = VALID.replace('clientSecret: "${SF_CLIENT_SECRET}"', 'clientSecret: hunter2-literal').replace(
      'url: ${ERP_DATABASE_URL}',
      'url: postgres://erp:pa55word@db/erp',
    );
    const error = errorOf(text);
    expect(error.issues.map((i) => i.path)).toEqual(['erp.url', 'crm.auth.clientSecret']);
    expect(error.issues[1]?.message).toContain('clientSecret must be an environment reference');
    expect(error.message).not.toContain('hunter2-literal');
    expect(error.message).not.toContain('pa55word');
    expect(JSON.stringify(error.context)).not.toContain('pa55word');
    // A password that is itself a reference is fine.
    expect(() =>
      parseConfig(
        VALID.replace('url: ${ERP_DATABASE_URL}', 'url: postgres://erp:${PGPASSWORD}@db/erp'),
        'tandem.yaml',
        { ...ENV, PGPASSWORD: 'x' },
      ),
    ).not.toThrow();
  });

  it('never puts substituted secret values into messages', () => {
    const text = VALID.replace('loginUrl: https://acme.my.salesforce.com/', 'loginUrl: ${SF_CLIENT_SECRET}');
    const error = errorOf(text);
    expect(error.issues.map((i) => i.path)).toEqual(['crm.loginUrl']);
    expect(error.message).not.toContain(ENV.SF_CLIENT_SECRET);
  });

  it('reports YAML syntax errors with line and column, and explains ${} in flow maps', () => {
    const text = VALID.replace('  url: ${ERP_DATABASE_URL}', '  url: ${ERP_DATABASE_URL}\n  bad: [1, 2').replace(
      'clientSecret: "${SF_CLIENT_SECRET}"',
      'clientSecret: ${SF_CLIENT_SECRET}',
    );
    const issues = issuesOf(text);
    expect(issues.length).toBeGreaterThan(0);
    expect(
      issues.every((i) => i.message.startsWith('YAML syntax error') && i.line !== undefined && i.column !== undefined),
    ).toBe(true);
    const flowLine = lineOf(text, 'clientSecret: ${');
    expect(issues.some((i) => i.line === flowLine && i.message.includes('quote ${...} references'))).toBe(true);
  });

  it('reports duplicate keys', () => {
    const text = VALID.replace('      credit:', '      name:    { erp: name2, crm: Name2 }\n      credit:');
    const issues = issuesOf(text);
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'objects.account.fields.name',
        line: lineOf(text, 'name2'),
        message: expect.stringContaining(
          `duplicate key 'name' (first at line ${lineOf(text, 'name:    { erp: name,')})`,
        ),
      }),
    ]);
  });

  it('reports mapping problems: native fields mapped twice or as the key, arity, enum, identifiers', () => {
    const text = VALID.replace('{ erp: credit_limit, crm: Credit_Limit__c,', '{ erp: NAME, crm: external_id__c,')
      .replace("transforms: [{ split: ' ' }]", '')
      .replace('{ A: Customer, P: Prospect }', '{ A: Customer, P: Customer }')
      .replace('key: customer_no', 'key: customer-no');
    const issues = issuesOf(text);
    const byPath = (path: string) => issues.filter((i) => i.path === path).map((i) => i.message);
    expect(byPath('objects.account.erp.key')).toEqual([expect.stringContaining('erp.key must be a plain SQL name')]);
    expect(byPath('objects.account.fields.credit.erp')).toEqual([
      expect.stringContaining("erp field 'NAME' is already mapped by field 'name'"),
    ]);
    expect(byPath('objects.account.fields.credit.crm')).toEqual([
      expect.stringContaining("crm field 'external_id__c' is the sync key"),
    ]);
    expect(byPath('objects.account.fields.contact.crm')).toEqual([
      expect.stringContaining('only with a split transform'),
    ]);
    expect(byPath('objects.account.fields.status.transforms[0].enum.P')).toEqual([
      expect.stringContaining('not one-to-one'),
    ]);
  });

  it('checks split arity, transform types and enum placement', () => {
    const text = VALID.replace(
      "crm: [FirstName, LastName], transforms: [{ split: ' ' }]",
      "crm: FirstName, transforms: [{ split: ' ' }]",
    )
      .replace('type: number, direction: erp-to-crm', 'type: number, transforms: [trim]')
      .replace(
        'transforms: [{ enum: { A: Customer, P: Prospect } }]',
        'transforms: [uppercase, { enum: { a: Customer } }, trim]',
      );
    const messages = issuesOf(text).map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^objects\.account\.fields\.status\.transforms\[1\]: enum must be the last transform/),
      expect.stringMatching(
        /^objects\.account\.fields\.credit\.transforms\[0\]: transform 'trim' works on text, but the field's type is number/,
      ),
      expect.stringMatching(
        /^objects\.account\.fields\.contact\.transforms\[0\]: split joins several native fields.*1 erp and 1 crm/,
      ),
    ]);
    const keyCase = VALID.replace(
      'transforms: [{ enum: { A: Customer, P: Prospect } }]',
      'transforms: [lowercase, { enum: { A: Customer } }]',
    );
    expect(issuesOf(keyCase).map((i) => i.message)).toEqual([expect.stringContaining("enum key 'A' can never match")]);
  });

  it('allows one phone transform per field: two in a row are not idempotent (GB then US re-reads the GB form)', () => {
    // Found by the object-mapper round-trip property: '-1100000000.00' became '(000) 000-0000' and then '+44000000000'.
    const text = VALID.replace(
      'transforms: [{ phone: { format: e164, defaultCountry: US } }]',
      'transforms: [{ phone: { format: e164, defaultCountry: GB } }, trim, { phone: { format: us-national } }]',
    );
    expect(issuesOf(text).map((i) => `${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(/^objects\.account\.fields\.phone\.transforms\[2\]: only one phone transform per field/),
    ]);
    const one = VALID.replace(
      'transforms: [{ phone: { format: e164, defaultCountry: US } }]',
      'transforms: [trim, phone]',
    );
    expect(parseConfig(one, 'tandem.yaml', ENV).objects[0]?.fields[1]?.transforms.map((t) => t.kind)).toEqual([
      'trim',
      'phone',
    ]);
  });

  it('requires exactly one of erp.url and erp.dataDir, and validates cron and ranges', () => {
    const text = VALID.replace('  url: ${ERP_DATABASE_URL}\n', '')
      .replace('objects:', 'schedule: { cron: "every day" }\nobjects:')
      .replace('  type: salesforce\n', '  type: salesforce\n  apiReserveShare: 1.5\n');
    const messages = issuesOf(text).map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^crm\.apiReserveShare: apiReserveShare must be at most 0\.95/),
        expect.stringMatching(/^schedule\.cron: schedule\.cron is not a valid cron expression/),
      ]),
    );
    const noErpTarget = issuesOf(VALID.replace('  url: ${ERP_DATABASE_URL}\n', ''));
    expect(noErpTarget).toEqual([
      expect.objectContaining({
        path: 'erp',
        line: lineOf(VALID, 'erp:'),
        message: expect.stringContaining('erp needs url'),
      }),
    ]);
  });

  it('refuses an unknown crm.type and erp.type, listing the registered types, at the line of type', () => {
    const text = VALID.replace('  type: salesforce', '  type: salesfroce').replace(
      '  type: postgres',
      '  type: oracle',
    );
    const issues = issuesOf(text);
    expect(issues).toEqual([
      {
        file: 'tandem.yaml',
        line: lineOf(text, 'type: oracle'),
        column: (text.split('\n')[lineOf(text, 'type: oracle') - 1] ?? '').indexOf('oracle') + 1,
        path: 'erp.type',
        message:
          "unknown erp type 'oracle'; registered erp types: memory, postgres. " +
          'Fix: use one of them, or register your connector first (see docs/writing-a-connector.md)',
      },
      {
        file: 'tandem.yaml',
        line: lineOf(text, 'type: salesfroce'),
        column: (text.split('\n')[lineOf(text, 'type: salesfroce') - 1] ?? '').indexOf('salesfroce') + 1,
        path: 'crm.type',
        message:
          "unknown crm type 'salesfroce'; did you mean 'salesforce'? registered crm types: hubspot, memory, salesforce, zoho. " +
          'Fix: use one of them, or register your connector first (see docs/writing-a-connector.md)',
      },
    ]);
    // The error message a person sees carries file:line for each.
    expect(errorOf(text).message).toContain(`tandem.yaml:${lineOf(text, 'type: salesfroce')}:`);
    // A connector that cannot serve the side is refused the same way.
    const wrongSide = issuesOf(VALID.replace('  type: postgres', '  type: salesforce'));
    expect(wrongSide[0]).toMatchObject({
      path: 'erp.type',
      line: lineOf(VALID, 'type: postgres'),
      message: expect.stringContaining("connector 'salesforce' cannot serve the erp side"),
    });
  });

  it('checks native names with the chosen connector: a memory CRM takes names Salesforce would refuse', () => {
    const memoryCrm = VALID.replace(
      /crm:\n {2}type: salesforce\n( {2}.*\n)+?(?=objects:)/,
      'crm:\n  type: memory\n',
    ).replace('crm: { object: Account, externalId: External_Id__c }', 'crm: { object: companies, externalId: ext-id }');
    const config = parseConfig(memoryCrm, 'tandem.yaml', ENV);
    expect(config.crm).toEqual({ type: 'memory', settings: {} });
    expect(config.objects[0]?.crm).toEqual({ object: 'companies', externalId: 'ext-id', options: {} });
    // The same names under Salesforce are refused by its API-name rule, with the setting named.
    const issues = issuesOf(VALID.replace('externalId: External_Id__c', 'externalId: ext-id'));
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'objects.account.crm.externalId',
        message: expect.stringContaining('crm.externalId must be a Salesforce API name'),
      }),
    ]);
    // Salesforce options are refused under a memory CRM, which declares none.
    const withOption = memoryCrm.replace('externalId: ext-id }', 'externalId: ext-id, lookbackSeconds: 5 }');
    expect(issuesOf(withOption).map((i) => i.message)).toEqual([
      "unknown key 'lookbackSeconds'; allowed: object, externalId",
    ]);
  });

  it('reports an empty file and a file that is not a map', () => {
    expect(issuesOf('')[0]?.message).toContain('the file is empty');
    expect(issuesOf('- a\n- b\n')[0]?.message).toMatch(/must be (an object|a map)|expected/);
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says a missing file is missing, with the fix', async () => {
    const file = join(dir, 'nope.yaml');
    const error = await loadConfig(file, ENV).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { file, path: '', message: expect.stringContaining('file not found. Fix: run `tandem init`') },
    ]);
  });

  it('checks that policy files exist in the policies dir', async () => {
    const file = join(dir, 'tandem.yaml');
    writeFileSync(file, VALID);
    const error = (await loadConfig(file, ENV).catch((e: unknown) => e)) as ConfigError;
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: 'objects.account.policy',
        line: lineOf(VALID, 'policy:'),
        message: expect.stringContaining("policy file 'account.yaml' not found"),
      }),
    ]);
    mkdirSync(join(dir, 'conflict-rules'));
    writeFileSync(join(dir, 'conflict-rules', 'account.yaml'), 'strategy: latest-wins\n');
    const config = await loadConfig(file, ENV);
    expect(config.file).toBe(file);
    expect(dirname(config.policies.dir)).toBe(dir);
  });
});

describe("parseConfig with references: 'leave' (checks that connect to nothing)", () => {
  const referenced = VALID.replace('loginUrl: https://acme.my.salesforce.com/', 'loginUrl: ${SF_LOGIN_URL}').replace(
    'sync: acme\n',
    'sync: acme\nstate:\n  url: ${TANDEM_STATE_URL}\n',
  );
  const withHook = `${referenced}notify:\n  - url: \${HOOK_URL}\n    secret: \${HOOK_SECRET}\n    events: [run.failed]\n`;

  it('needs no environment: references stay as written and the mappings are built', () => {
    expect(issuesOf(withHook, {}).map((i) => i.message)).toEqual(
      expect.arrayContaining([expect.stringContaining("'SF_CLIENT_SECRET' is not set")]),
    );
    const config = parseConfig(withHook, 'tandem.yaml', {}, { references: 'leave' });
    expect(config.state.url).toBe('${TANDEM_STATE_URL}');
    expect(config.crm.settings).toMatchObject({
      loginUrl: '${SF_LOGIN_URL}',
      auth: { clientSecret: '${SF_CLIENT_SECRET}' },
    });
    expect(config.objects.map((o) => [o.name, o.policy, o.fields.map((f) => f.name)])).toEqual([
      ['account', 'account.yaml', ['name', 'phone', 'status', 'credit', 'contact']],
    ]);
  });

  it('does not read the environment even when it is set', () => {
    const config = parseConfig(referenced, 'tandem.yaml', ENV, { references: 'leave' });
    expect(config.erp.settings).toMatchObject({ url: '${ERP_DATABASE_URL}' });
  });

  it('still reports structure, mappings and literal secrets', () => {
    const broken = referenced
      .replace('crm: { object: Account', 'crm: { objekt: Account')
      .replace('clientSecret: "${SF_CLIENT_SECRET}"', 'clientSecret: "hunter2-literal"');
    const issues = (() => {
      try {
        parseConfig(broken, 'tandem.yaml', {}, { references: 'leave' });
      } catch (error) {
        return (error as ConfigError).issues;
      }
      throw new Error('expected a ConfigError');
    })();
    const messages = issues.map((i) => `${i.path}: ${i.message}`).join('\n');
    expect(messages).toContain('objekt');
    expect(messages).toContain('clientSecret must be an environment reference');
    expect(messages).not.toContain('is not set');
    expect(messages).not.toContain('hunter2');
  });
});
