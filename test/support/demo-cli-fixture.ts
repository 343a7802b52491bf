import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../src/emulator/index.js';
import { repoRoot } from './tandem-command.js';

/**
 * What the CLI tests run `tandem` against: examples/demo.tandem.yaml pointed at a Salesforce emulator in the test's
 * process (over a real socket) and an embedded ERP (PGlite) created from examples/erp-schema.sql, in a temporary
 * folder. One per test file (`beforeAll`); each case takes a tandem.yaml with a state folder of its own.
 */
export interface DemoCliFixture {
  readonly dir: string;
  readonly emulator: RunningSalesforceEmulator;
  /** The ERP's PGlite folder. */
  readonly erpDir: string;
  /** The emulator's credentials: they stay in the environment (tandem refuses literal secrets in the file). */
  env(): Record<string, string>;
  /**
   * `<dir>/<name>.yaml`: the demo config with the state in `<dir>/<name>/state` (or the given `state:` section), the
   * CRM at `loginUrl` (default the emulator) and the ERP in `erpDir` (default the fixture's), policies from
   * conflict-rules/.
   */
  configFile(
    name: string,
    options?: { state?: string | undefined; loginUrl?: string | undefined; erpDir?: string | undefined },
  ): Promise<string>;
  close(): Promise<void>;
}

export interface DemoCliFixtureOptions {
  /** mkdtemp's prefix, e.g. `tandem-exit-`. */
  readonly prefix: string;
  /** SQL run on the ERP after examples/erp-schema.sql (the test's customers). */
  readonly erpSql?: string;
}

export async function createDemoCliFixture(options: DemoCliFixtureOptions): Promise<DemoCliFixture> {
  const dir = await mkdtemp(join(tmpdir(), options.prefix));
  const erpDir = join(dir, 'erp');
  let emulator: RunningSalesforceEmulator | undefined;
  try {
    emulator = await startSalesforceEmulator({ port: 0 });
    const erp = new PGlite(erpDir);
    try {
      await erp.exec(await readFile(join(repoRoot, 'examples', 'erp-schema.sql'), 'utf8'));
      if (options.erpSql) await erp.exec(options.erpSql);
    } finally {
      await erp.close();
    }
  } catch (error) {
    await emulator?.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const example = await readFile(join(repoRoot, 'examples', 'demo.tandem.yaml'), 'utf8');
  const running = emulator;
  return {
    dir,
    emulator: running,
    erpDir,
    env: () => ({ TANDEM_DEMO_CLIENT_ID: running.clientId, TANDEM_DEMO_CLIENT_SECRET: running.clientSecret }),
    async configFile(name, { state, loginUrl, erpDir: erp } = {}) {
      const file = join(dir, `${name}.yaml`);
      const text = example
        .replace(/state:\n {2}dataDir: [^\n]+/, state ?? `state:\n  dataDir: ${join(dir, name, 'state')}`)
        .replace(/dataDir: \.\.\/\.tandem\/demo\/erp/, `dataDir: ${erp ?? erpDir}`)
        .replace('${TANDEM_DEMO_SF_URL}', loginUrl ?? running.url);
      await writeFile(file, text + `\npolicies:\n  dir: ${JSON.stringify(join(repoRoot, 'conflict-rules'))}\n`);
      return file;
    },
    async close() {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
