/**
 * Every exit code of README's table, each on a path that really produces it: the CLI runs as a user runs it against an
 * embedded ERP created from examples/erp-schema.sql and a Salesforce emulator over a real socket.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realDatabaseUrl } from '../support/test-databases.js';
import { createDemoCliFixture, type DemoCliFixture } from '../support/demo-cli-fixture.js';
import { runTandem } from '../support/run-tandem-cli.js';

// Generous: each case starts the CLI and an embedded Postgres, on a possibly loaded machine.
const SLOW = 400_000;

describe("exit codes as README's table says", () => {
  let fx: DemoCliFixture;
  const env = (): Record<string, string> => fx.env();
  /** A tandem.yaml from examples/demo.tandem.yaml with its own folders, pointing at `loginUrl`. */
  const configFile = (name: string, loginUrl: string, state?: string) => fx.configFile(name, { loginUrl, state });

  beforeAll(async () => {
    // A customer whose name is blank once trimmed: Salesforce rejects it (REQUIRED_FIELD_MISSING), the run is partial.
    fx = await createDemoCliFixture({
      prefix: 'tandem-exit-',
      erpSql:
        "insert into public.customers (customer_no, name, city) values ('C1', 'Acme', 'Lyon'), ('C2', '   ', 'Oslo')",
    });
  }, SLOW);

  afterAll(async () => {
    await fx?.close();
  });

  it(
    '0: help and version',
    async () => {
      expect((await runTandem(['--help'])).code).toBe(0);
      expect((await runTandem(['--version'])).code).toBe(0);
    },
    SLOW,
  );

  it(
    '0: status of a fresh state',
    async () => {
      const status = await runTandem(['status', '--config', await configFile('fresh', fx.emulator.url)], env());
      expect(status.stderr).toBe('');
      expect(status.code).toBe(0);
    },
    SLOW,
  );

  it(
    '1: a sync in which Salesforce rejects a record',
    async () => {
      const { stdout, stderr, code } = await runTandem(
        ['sync', '--json', '--config', await configFile('partial', fx.emulator.url)],
        env(),
      );
      expect(stderr).not.toContain('a bug');
      expect(code).toBe(1);
      expect(stdout).toContain('REQUIRED_FIELD_MISSING');
    },
    SLOW,
  );

  it(
    "2: commander's usage errors (unknown option, unknown command, missing argument) and a bad config",
    async () => {
      const unknownOption = await runTandem(['sync', '--no-such-flag']);
      expect(unknownOption.code).toBe(2);
      expect(unknownOption.stderr).toContain("unknown option '--no-such-flag'");
      const unknownCommand = await runTandem(['schedule']);
      expect(unknownCommand.code).toBe(2);
      expect(unknownCommand.stderr).toContain("unknown command 'schedule'");
      const missingArgument = await runTandem(['init', '--crm']);
      expect(missingArgument.code).toBe(2);
      const badConfig = join(fx.dir, 'bad.yaml');
      await writeFile(badConfig, 'sync: x\nobjects: 3\n');
      expect((await runTandem(['status', '--config', badConfig], env())).code).toBe(2);
    },
    SLOW,
  );

  it(
    '3: a Salesforce org whose API quota is exhausted',
    async () => {
      fx.emulator.setFaults({ quotaExhausted: true });
      try {
        const { stderr, code } = await runTandem(
          ['sync', '--config', await configFile('quota', fx.emulator.url)],
          env(),
        );
        expect(stderr).not.toContain('a bug');
        expect(code).toBe(3);
      } finally {
        fx.emulator.setFaults({});
      }
    },
    SLOW,
  );

  it(
    '4: https spoken to the plain-http emulator (a TLS mismatch), with a plain message',
    async () => {
      const https = fx.emulator.url.replace('http://', 'https://');
      const { stderr, code } = await runTandem(['sync', '--config', await configFile('tls', https)], env());
      expect(stderr).not.toContain('a bug');
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(stderr).toMatch(/TLS/);
      expect(code).toBe(4);
    },
    SLOW,
  );

  it(
    '4: a Salesforce host that refuses connections, reported after at most a short start-up retry',
    async () => {
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
      const port = (probe.address() as { port: number }).port;
      await new Promise<void>((r) => probe.close(() => r()));
      const { stderr, code } = await runTandem(
        ['sync', '--config', await configFile('refused', `http://127.0.0.1:${port}`)],
        env(),
      );
      expect(code).toBe(4);
      expect(stderr).toContain('never answered');
      expect(stderr).not.toContain('a bug');
    },
    SLOW,
  );

  it.runIf(realDatabaseUrl() !== undefined)(
    '4: a state database that does not exist on the server',
    async () => {
      const url = new URL(realDatabaseUrl()!);
      url.pathname = '/tandem_no_such_database';
      const file = await configFile('missingdb', fx.emulator.url, `state:\n  url: ${url.toString()}`);
      const { stderr, code } = await runTandem(['status', '--config', file], env());
      expect(code).toBe(4);
      expect(stderr).toContain('does not exist');
      expect(stderr).not.toContain('a bug');
    },
    SLOW,
  );

  it(
    '5: any other failure (a state store migrated by an unknown, newer tandem)',
    async () => {
      const stateDir = join(fx.dir, 'future', 'state');
      await mkdir(stateDir, { recursive: true });
      const state = new PGlite(stateDir);
      await state.exec(
        'create schema tandem; create table tandem.kysely_migration (name varchar(255) primary key, timestamp varchar(255) not null);' +
          "insert into tandem.kysely_migration values ('9999_from_a_newer_tandem', '2099-01-01T00:00:00.000Z');",
      );
      await state.close();
      const { stderr, code } = await runTandem(
        ['status', '--config', await configFile('future', fx.emulator.url)],
        env(),
      );
      expect(stderr).toContain('9999_from_a_newer_tandem');
      expect(code).toBe(5);
    },
    SLOW,
  );
});
