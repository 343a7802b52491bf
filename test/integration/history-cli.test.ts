/**
 * `tandem history` as a user runs it (the CLI from source, an embedded ERP from examples/erp-schema.sql, a Salesforce
 * emulator over a real socket): a record Salesforce rejects, its timeline by key and by native id, as a table and as
 * JSON, with the Bulk API job its write went through; then `tandem forget` erases it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../src/emulator/index.js';
import type { RecordTimeline } from '../../src/model/record-timeline.js';
import { repoRoot, runTandem } from '../support/run-tandem-cli.js';
import { scaled } from '../support/timeouts.js';

// Each step starts the CLI from source (tsx) and an embedded Postgres, on a possibly loaded machine.
const SLOW = scaled(400_000);

describe('tandem history through the CLI', () => {
  let dir: string;
  let emulator: RunningSalesforceEmulator;
  let config: string;
  const env = (): Record<string, string> => ({
    TANDEM_DEMO_CLIENT_ID: emulator.clientId,
    TANDEM_DEMO_CLIENT_SECRET: emulator.clientSecret,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-history-'));
    emulator = await startSalesforceEmulator({ port: 0 });
    const example = await readFile(join(repoRoot, 'examples', 'demo.tandem.yaml'), 'utf8');
    const erp = new PGlite(join(dir, 'erp'));
    await erp.exec(await readFile(join(repoRoot, 'examples', 'erp-schema.sql'), 'utf8'));
    // C2's name is blank once trimmed: Salesforce rejects it (REQUIRED_FIELD_MISSING).
    await erp.exec(
      "insert into public.customers (customer_no, name, city) values ('C1', 'Acme', 'Lyon'), ('C2', '   ', 'Oslo')",
    );
    await erp.close();
    config = join(dir, 'tandem.yaml');
    const text = example
      .replace(/state:\n {2}dataDir: [^\n]+/, `state:\n  dataDir: ${join(dir, 'state')}`)
      .replace(/dataDir: \.\.\/\.tandem\/demo\/erp/, `dataDir: ${join(dir, 'erp')}`)
      .replace('${TANDEM_DEMO_SF_URL}', emulator.url);
    await writeFile(config, text + `\npolicies:\n  dir: ${JSON.stringify(join(repoRoot, 'conflict-rules'))}\n`);
  }, SLOW);

  afterAll(async () => {
    await emulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'shows a rejected record’s capture, planned write, bulk job and rejection; finds it by native id; forget erases it',
    async () => {
      const sync = await runTandem(['sync', '--config', config], env());
      expect(sync.code).toBe(1); // partial: C2 rejected

      const asJson = await runTandem(['history', 'C2', '--object', 'account', '--json', '--config', config], env());
      expect(asJson.code, asJson.stderr).toBe(0);
      const { records } = JSON.parse(asJson.stdout) as { records: RecordTimeline[] };
      expect(records.map((r) => `${r.object} ${r.key}`)).toEqual(['account C2']);
      const c2 = records[0]!;
      expect(c2.entries.map((e) => `${e.kind}:${e.system ?? '-'}`)).toEqual([
        'captured:erp',
        'planned:crm',
        'rejected:crm',
      ]);
      const rejected = c2.entries[2]!;
      expect(String(rejected.detail['reason'])).toContain('REQUIRED_FIELD_MISSING');
      // The write went through a Bulk API 2.0 job, which the ledger still knows.
      expect(rejected.jobId).toMatch(/^750/);
      expect(rejected.job).toMatchObject({ jobId: rejected.jobId, operation: 'upsert', status: 'done' });
      expect(c2.now.failed).toMatchObject([{ system: 'crm', status: 'rejected', attempts: 1 }]);
      const erpId = c2.entries[0]!.nativeId;
      expect(erpId).toBeTruthy();

      // The table, found by the ERP's native id without naming the object.
      const table = await runTandem(['history', '--native-id', erpId!, '--config', config], env());
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toContain('account C2');
      expect(table.stdout).toMatch(/captured\s+erp/);
      expect(table.stdout).toMatch(/planned\s+crm .* upsert /);
      expect(table.stdout).toMatch(/rejected\s+crm .*REQUIRED_FIELD_MISSING.*\[job 750\S* upsert done\]/);
      expect(table.stdout).toContain('now: crm rejected (attempt 1');

      // Usage: no record named; a record nobody knows.
      const none = await runTandem(['history', '--config', config], env());
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('tandem history KEY');
      const unknown = await runTandem(['history', 'C9', '--config', config], env());
      expect(unknown.code).toBe(2);
      expect(unknown.stdout).toContain("no record with key 'C9'");

      const forget = await runTandem(
        ['forget', '--object', 'account', '--key', 'C2', '--json', '--config', config],
        env(),
      );
      expect(forget.code, forget.stderr).toBe(0);
      expect((JSON.parse(forget.stdout) as { removed: Record<string, number> }).removed['record_event']).toBe(3);
      const after = await runTandem(['history', 'C2', '--json', '--config', config], env());
      const left = (JSON.parse(after.stdout) as { records: RecordTimeline[] }).records;
      expect(left.map((r) => r.entries.length)).toEqual([0]);
    },
    SLOW,
  );
});
