import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { erpCommand } from '../../../src/cli/commands/erp.js';
import { createCustomers, customersStream, openDb, testBackends, type Db } from './fixtures.js';

const backend = testBackends()[0]!; // PGlite: always available

describe(`${backend.name}: tandem erp install-capture / uninstall-capture`, () => {
  let db: Db;
  beforeEach(async () => {
    db = await openDb(backend);
    await createCustomers(db);
  });
  afterEach(async () => db.dispose());

  const triggers = async () =>
    (
      await db.exec(
        `SELECT tgname FROM pg_trigger WHERE tgrelid = '${db.schema}.customers'::regclass AND tgname LIKE 'tandem%' ORDER BY 1`,
      )
    ).map((r) => r['tgname']);

  it('installs and uninstalls capture for the changelog objects of the config', async () => {
    const streams = [customersStream(db, { capture: 'changelog' }), { ...customersStream(db), name: 'other' }];
    const loaded: string[] = [];
    let out = '';
    let code = -1;
    const command = erpCommand(
      async (path) => {
        loaded.push(path);
        return { connector: db.connector(), streams };
      },
      { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => {} }, setExitCode: (c) => (code = c) },
    );
    command.exitOverride();
    await command.parseAsync(['install-capture', '--config', 'my.yaml'], { from: 'user' });
    expect(loaded).toEqual(['my.yaml']);
    expect(code).toBe(0);
    expect(out).toContain('installed change capture for account');
    expect(await triggers()).toEqual(['tandem_capture', 'tandem_capture_update']);
    await command.parseAsync(['uninstall-capture', '--object', 'account'], { from: 'user' });
    expect(await triggers()).toEqual([]);
    out = '';
    await command.parseAsync(['install-capture', '--object', 'nope', '--json'], { from: 'user' });
    expect(code).toBe(2);
    expect(JSON.parse(out)).toMatchObject({
      error: { code: 'USAGE', name: 'UsageError', context: { object: 'nope' } },
    });
  });
});
