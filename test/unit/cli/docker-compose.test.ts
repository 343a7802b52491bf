import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../../src/config/parse-config.js';
import { buildProgram } from '../../../src/cli/program.js';
import {
  addHubSpotProperties,
  readHubSpotPropertyFile,
  startHubSpotEmulator,
} from '../../../src/emulator/hubspot/index.js';

/**
 * No Docker engine runs here, so docker-compose.yml is checked by reading it: the services, ports, files and commands
 * it names must exist, and the config the tandem service uses must validate with the environment compose gives it.
 */
const root = join(import.meta.dirname, '..', '..', '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      command?: string[];
      ports?: string[];
      volumes?: string[];
      environment?: Record<string, string>;
      depends_on?: Record<string, unknown>;
      healthcheck?: { test?: string[] };
    }
  >;
  volumes?: Record<string, unknown>;
};

/** Resolves a command line against the real CLI: every subcommand and option must exist. */
function checkCommand(args: readonly string[]): string[] {
  const problems: string[] = [];
  let command: Command = buildProgram();
  let i = 0;
  for (; i < args.length; i++) {
    const sub = command.commands.find((c) => c.name() === args[i]);
    if (!sub) break;
    command = sub;
  }
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) continue;
    const option = command.options.find((o) => o.long === arg || o.short === arg);
    if (!option) problems.push(`'${command.name()}' has no option ${arg}`);
    else if (option.required && !option.optional) i++;
  }
  if (command.commands.length > 0 && command.name() !== 'tandem')
    problems.push(`'${command.name()}' needs a subcommand`);
  return problems;
}

describe('docker-compose.yml', () => {
  it('names the three services: Postgres, the Salesforce emulator and tandem', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'hubspot-emulator',
      'postgres',
      'salesforce-emulator',
      'tandem',
      'tandem-hubspot',
      'tandem-zoho',
      'zoho-emulator',
    ]);
  });

  it('builds images from a Dockerfile that exists and copies what the CLI needs', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    for (const service of ['salesforce-emulator', 'tandem']) expect(compose.services[service]!.build).toBe('.');
    for (const path of ['bin', 'src', 'schema', 'conflict-rules', 'docker']) {
      expect(dockerfile).toContain(`COPY ${path} ./${path}`);
      expect(existsSync(join(root, path))).toBe(true);
    }
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "bin\/tandem.js"\]/);
  });

  it('runs commands the tandem CLI really has', () => {
    for (const name of [
      'salesforce-emulator',
      'tandem',
      'zoho-emulator',
      'tandem-zoho',
      'hubspot-emulator',
      'tandem-hubspot',
    ]) {
      const command = compose.services[name]!.command!;
      expect(command.length).toBeGreaterThan(0);
      expect(checkCommand(command)).toEqual([]);
    }
    expect(checkCommand(['sync', '--no-such-flag'])).toEqual(["'sync' has no option --no-such-flag"]);
  });

  it('runs tandem serve, with a healthcheck on its /healthz and the API token its config names', () => {
    const tandem = compose.services['tandem']!;
    expect(tandem.command![0]).toBe('serve');
    const port = tandem.command![tandem.command!.indexOf('--port') + 1];
    expect(tandem.ports).toEqual([`127.0.0.1:${port}:${port}`]);
    expect(tandem.healthcheck?.test?.join(' ')).toContain(`http://127.0.0.1:${port}/healthz`);
    const configPath = tandem.command![tandem.command!.indexOf('--config') + 1]!;
    const local = join(root, configPath.slice('/app/'.length));
    const config = parseConfig(readFileSync(local, 'utf8'), local, tandem.environment!);
    expect(tandem.environment![config.serve.tokenEnv]).toBeTruthy();
  });

  it("publishes ports that the services listen on, on the host's loopback interface only", () => {
    const emulator = compose.services['salesforce-emulator']!;
    const port = emulator.command![emulator.command!.indexOf('--port') + 1];
    expect(emulator.ports).toEqual([`127.0.0.1:${port}:${port}`]);
    expect(compose.services['postgres']!.ports).toEqual(['127.0.0.1:5433:5432']);
    for (const service of Object.values(compose.services))
      for (const mapping of service.ports ?? []) expect(mapping).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    expect(compose.services['tandem']!.environment!['SF_LOGIN_URL']).toBe(`http://salesforce-emulator:${port}`);
  });

  it('mounts files that exist, and named volumes that are declared', () => {
    for (const service of Object.values(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(':');
        if (source!.startsWith('./')) expect(existsSync(join(root, source!))).toBe(true);
        else expect(Object.keys(compose.volumes ?? {})).toContain(source);
      }
    }
  });

  it('gives tandem a config that validates with the environment compose sets, and databases the init script creates', () => {
    const tandem = compose.services['tandem']!;
    const configPath = tandem.command![tandem.command!.indexOf('--config') + 1]!;
    expect(configPath.startsWith('/app/')).toBe(true);
    const local = join(root, configPath.slice('/app/'.length));
    const config = parseConfig(readFileSync(local, 'utf8'), local, tandem.environment!);
    expect(config.objects.map((o) => o.name)).toEqual(['account', 'contact']);
    expect(config.schedule?.cron).toBeTruthy();
    const init = readFileSync(join(root, 'docker', 'postgres-init.sql'), 'utf8');
    const postgres = compose.services['postgres']!;
    const included = /\\i (\S+)/.exec(init)![1]!;
    const mount = postgres.volumes!.find((v) => v.split(':')[1] === included)!;
    const schemaSql = readFileSync(join(root, mount.split(':')[0]!), 'utf8');
    for (const url of [tandem.environment!['TANDEM_STATE_URL']!, tandem.environment!['ERP_DATABASE_URL']!]) {
      const database = new URL(url).pathname.slice(1);
      expect(init).toContain(`create database ${database};`);
    }
    for (const mapping of config.objects) expect(schemaSql).toContain(`create table ${mapping.erp.table}`);
    expect(Object.keys(tandem.depends_on ?? {}).sort()).toEqual(['postgres', 'salesforce-emulator']);
  });

  it('can run the Zoho emulator instead (profile zoho): a config that validates, modules the emulator loads', async () => {
    const tandem = compose.services['tandem-zoho']!;
    const configPath = tandem.command![tandem.command!.indexOf('--config') + 1]!;
    const local = join(root, configPath.slice('/app/'.length));
    const config = parseConfig(readFileSync(local, 'utf8'), local, tandem.environment!);
    expect(config.crm.type).toBe('zoho');
    expect(config.objects.map((o) => o.name)).toEqual(['account', 'contact']);
    const emulator = compose.services['zoho-emulator']!;
    const port = emulator.command![emulator.command!.indexOf('--port') + 1];
    expect(emulator.ports).toEqual([`127.0.0.1:${port}:${port}`]);
    expect(tandem.environment!['ZOHO_URL']).toBe(`http://zoho-emulator:${port}`);
    const modulesPath = emulator.command![emulator.command!.indexOf('--modules') + 1]!;
    const modules = JSON.parse(readFileSync(join(root, modulesPath.slice('/app/'.length)), 'utf8')) as {
      modules: { api_name: string; fields: { api_name: string }[] }[];
    };
    // Every mapped Zoho field exists in the emulator's modules.
    for (const object of config.objects) {
      const module = modules.modules.find((m) => m.api_name === object.crm.object);
      expect(module, object.crm.object).toBeDefined();
      const names = module!.fields.map((f) => f.api_name);
      expect(names).toContain(object.crm.externalId);
      for (const field of object.fields) for (const native of field.crm) expect(names).toContain(native);
    }
  });

  it('can run the HubSpot emulator instead (profile hubspot): a config that validates, properties the emulator has', async () => {
    const tandem = compose.services['tandem-hubspot']!;
    const emulator = compose.services['hubspot-emulator']!;
    expect([tandem, emulator].map((s) => (s as { profiles?: string[] }).profiles)).toEqual([['hubspot'], ['hubspot']]);
    const configPath = tandem.command![tandem.command!.indexOf('--config') + 1]!;
    const local = join(root, configPath.slice('/app/'.length));
    const config = parseConfig(readFileSync(local, 'utf8'), local, tandem.environment!);
    expect(config.crm.type).toBe('hubspot');
    expect(config.objects.map((o) => o.name)).toEqual(['account', 'contact']);
    const port = emulator.command![emulator.command!.indexOf('--port') + 1];
    expect(emulator.ports).toEqual([`127.0.0.1:${port}:${port}`]);
    expect(tandem.environment!['HUBSPOT_URL']).toBe(`http://hubspot-emulator:${port}`);
    expect(tandem.environment!['HUBSPOT_TOKEN']).toBe(emulator.command![emulator.command!.indexOf('--token') + 1]);
    // The admin token comes from the environment compose is run in (unset: the emulator prints a random one).
    expect(emulator.environment!['TANDEM_EMULATOR_ADMIN_TOKEN']).toBe('${TANDEM_EMULATOR_ADMIN_TOKEN:-}');
    expect(emulator.command).not.toContain('--admin-token');
    // Every mapped property exists in the emulator once it has added the properties file: start one as compose does.
    const propertiesPath = emulator.command![emulator.command!.indexOf('--properties') + 1]!;
    const hs = await startHubSpotEmulator();
    try {
      addHubSpotProperties(hs.store, await readHubSpotPropertyFile(join(root, propertiesPath.slice('/app/'.length))));
      for (const object of config.objects) {
        const type = hs.store.type(object.crm.object);
        expect(type, object.crm.object).toBeDefined();
        expect(type!.properties.get(object.crm.externalId)?.hasUniqueValue, object.crm.externalId).toBe(true);
        for (const field of object.fields)
          for (const native of field.crm) expect(type!.properties.has(native), native).toBe(true);
      }
    } finally {
      await hs.close();
    }
  });
});
