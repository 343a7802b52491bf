import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { checkConfig } from '../../../src/config/parse-config.js';
import { policyMappingOf } from '../../../src/engine/open-engine.js';
import { analyzePolicy } from '../../../src/resolve/policy/analyze-policy.js';
import { loadObjectDefinitions } from '../../../src/emulator/salesforce/object-definition.js';
import { collectCommandSpans, collectDocBlocks, type DocBlock } from '../../support/doc-blocks.js';
import { commandLineProblem, commandReferenceProblem, tandemCommandLines } from '../../support/doc-command-lines.js';
import { scaled } from '../../support/timeouts.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const blocks = collectDocBlocks(root);

/** Any `${VAR}` a doc names gets a value of the right shape (a database URL, a URL, a 32-character secret). */
const anyEnv: Readonly<Record<string, string | undefined>> = new Proxy(
  {},
  {
    get: (_target, name) =>
      typeof name !== 'string'
        ? undefined
        : /DATABASE|STATE_URL|PG/.test(name)
          ? 'postgres://tandem@127.0.0.1:5432/erp'
          : /URL|DOMAIN|HOST/.test(name)
            ? 'https://crm.example.com'
            : 'doc-placeholder-value-0123456789abcdef',
    has: () => true,
  },
);

/** The demo's tandem.yaml for a CRM: the base a fragment is merged into. */
function baseConfig(crmType: string): Record<string, unknown> {
  const file = crmType === 'salesforce' ? 'demo.tandem.yaml' : `demo-${crmType}.tandem.yaml`;
  return parseYaml(readFileSync(join(root, 'examples', file), 'utf8')) as Record<string, unknown>;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A fragment over the demo's file: each top-level section it names is merged key by key into the demo's (`crm:`
 * without `type:` changes some settings), replaced whole when it names its `type:` (another connector); each
 * mapping under `objects:` replaces the demo's of that name; anything else replaces.
 */
function mergeFragment(base: Record<string, unknown>, fragment: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(fragment)) {
    const current = base[key];
    out[key] = isMap(current) && isMap(value) && !('type' in value) ? { ...current, ...value } : value;
  }
  return out;
}

/** Problems of a tandem.yaml block, as the real parser reports them (fragments merged into the demo's file). */
function configProblems(block: DocBlock, fragment: boolean): string[] {
  let text = block.code;
  if (fragment) {
    const part = parseYaml(block.code) as unknown;
    if (!isMap(part)) return [`a config fragment must be a map, got ${JSON.stringify(part)}`];
    const crm = isMap(part['crm']) && typeof part['crm']['type'] === 'string' ? part['crm']['type'] : 'salesforce';
    text = stringifyYaml(mergeFragment(baseConfig(crm), part));
  }
  const { issues } = checkConfig(text, join(root, 'examples', 'doc-example.tandem.yaml'), anyEnv);
  return issues.map((i) => `${i.path}: ${i.message}`);
}

/** Problems of a policy block: parsed and compiled, its field names checked against the demo mapping it names. */
function policyProblems(block: DocBlock): string[] {
  const object = (parseYaml(block.code) as { object?: unknown } | null)?.object;
  const config = checkConfig(
    readFileSync(join(root, 'examples', 'demo.tandem.yaml'), 'utf8'),
    'demo.tandem.yaml',
    anyEnv,
  ).config;
  const mapping = config?.objects.find((m) => m.name === object);
  const analysis = analyzePolicy(block.code, {
    file: block.where,
    mapping: mapping === undefined ? null : policyMappingOf(mapping),
  });
  return analysis.issues.map((i) => `${i.path ?? ''}: ${i.message}`);
}

const yamlBlocks = blocks.filter((b) => b.language === 'yaml' || b.language === 'yml');

describe('the YAML examples of README.md and docs/*.md', () => {
  it('each says what it is (doc-check: config, config-fragment, policy, or skip with a reason)', () => {
    expect(yamlBlocks.length).toBeGreaterThanOrEqual(14);
    const unmarked = yamlBlocks.filter(
      (b) =>
        b.marker === undefined ||
        !/^(config|config-fragment|policy|salesforce-emulator-definitions|skip: \S.*)$/.test(b.marker),
    );
    expect(unmarked.map((b) => `${b.where}: ${b.marker ?? '(no <!-- doc-check: ... --> marker)'}`)).toEqual([]);
  });

  it('Salesforce emulator definitions load with the emulator loader', async () => {
    const definitions = yamlBlocks.filter((b) => b.marker === 'salesforce-emulator-definitions');
    expect(definitions.length).toBeGreaterThanOrEqual(1);
    const dir = await mkdtemp(join(tmpdir(), 'tandem-doc-defs-'));
    try {
      for (const [i, block] of definitions.entries()) {
        const file = join(dir, `definitions-${i}.yaml`);
        await writeFile(file, block.code, 'utf8');
        const loaded = await loadObjectDefinitions(file).catch((error: unknown) => `${block.where}: ${String(error)}`);
        expect(typeof loaded === 'string' ? loaded : '').toBe('');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('tandem.yaml examples and fragments pass the real config parser; policies the real policy analysis', () => {
    const problems = yamlBlocks.flatMap((b) => {
      const found =
        b.marker === 'config' || b.marker === 'config-fragment'
          ? configProblems(b, b.marker === 'config-fragment')
          : b.marker === 'policy'
            ? policyProblems(b)
            : [];
      return found.map((p) => `${b.where}: ${p}`);
    });
    expect(problems).toEqual([]);
  });

  it('a wrong example is caught: an unknown key, a misspelt strategy', () => {
    const wrong = (code: string): DocBlock => ({
      where: 'docs/made-up.md:1',
      language: 'yaml',
      marker: undefined,
      code,
      firstLine: 2,
    });
    expect(configProblems(wrong('state:\n  dataDri: ./state\n'), true).join('\n')).toMatch(/dataDri/);
    expect(configProblems(wrong('crm:\n  type: hubspot\n  auth: { kind: private-app }\n'), true).join('\n')).toMatch(
      /accessToken/,
    );
    expect(policyProblems(wrong('object: account\ndefault: latest-winz\n')).join('\n')).toMatch(/latest-winz/);
  });
});

const commandLines = blocks
  .filter((b) => !(b.marker ?? '').startsWith('skip:'))
  .filter(
    (b) => !['ts', 'typescript', 'js', 'javascript', 'mjs', 'yaml', 'yml', 'json', 'sql', 'ini'].includes(b.language),
  )
  .flatMap((b) => tandemCommandLines(b.where, b.code, b.firstLine));

describe('the tandem commands in the shell blocks of README.md and docs/*.md', () => {
  it('are found (plain commands and synopses)', () => {
    expect(commandLines.filter((l) => !l.synopsis).length).toBeGreaterThanOrEqual(6);
    expect(commandLines.filter((l) => l.synopsis).length).toBeGreaterThanOrEqual(3);
  });

  it(
    'parse against the real command line (commands, options, arguments), without running',
    async () => {
      const problems: string[] = [];
      for (const line of commandLines) {
        const problem = await commandLineProblem(line);
        if (problem !== undefined) problems.push(`${line.where}: tandem ${line.args.join(' ')}: ${problem}`);
      }
      expect(problems).toEqual([]);
    },
    scaled(60_000),
  );

  it('a wrong command line is caught: unknown command, unknown option, an option of another command', async () => {
    const wrong = async (code: string): Promise<string | undefined> => {
      const [line] = tandemCommandLines('docs/made-up.md:1', code, 2);
      expect(line).toBeDefined();
      return line && commandLineProblem(line);
    };
    expect(await wrong('npx tandem schedule --every 5m')).toMatch(/unknown command/);
    expect(await wrong('tandem sync --dryrun')).toMatch(/unknown option/);
    expect(await wrong('tandem status --schedule "* * * * *"')).toMatch(/unknown option/);
    expect(await wrong('tandem emulator hubspot [--port N] [--propertys FILE]')).toMatch(/--propertys/);
    expect(await wrong('$ tandem sync --dry-run --json   # fine')).toBeUndefined();
  });
});

describe('the tandem commands named in the prose of README.md and docs/*.md (inline code)', () => {
  const spans = collectCommandSpans(root);

  it('name commands and options that exist (arguments may be left out in prose)', () => {
    expect(spans.length).toBeGreaterThanOrEqual(50);
    const problems = spans.flatMap((s) => {
      const problem = commandReferenceProblem(s.span);
      return problem === undefined ? [] : [`${s.where}: ${s.span}: ${problem}`];
    });
    expect(problems).toEqual([]);
  });

  it('a wrong reference is caught, alternatives included', () => {
    expect(commandReferenceProblem('tandem schedule')).toMatch(/unknown command 'schedule'/);
    expect(commandReferenceProblem('tandem failed list \\| retry \\| redo')).toMatch(/unknown command 'redo'/);
    expect(commandReferenceProblem('tandem conflicts resolve KEY (--take erp \\| --pick crm)')).toMatch(/--pick/);
    expect(commandReferenceProblem('tandem / baseline')).toBeUndefined();
  });
});

describe('the JSON examples of README.md and docs/*.md', () => {
  it('are valid JSON', () => {
    const json = blocks.filter((b) => b.language === 'json');
    expect(json.length).toBeGreaterThanOrEqual(2);
    const problems = json.flatMap((b) => {
      try {
        JSON.parse(b.code);
        return [];
      } catch (error) {
        return [`${b.where}: ${(error as Error).message}`];
      }
    });
    expect(problems).toEqual([]);
  });
});
