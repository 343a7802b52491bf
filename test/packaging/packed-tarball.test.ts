/**
 * The package as a user receives it: `npm pack`, install the tarball into an empty project, then run `npx tandem
 * --help`, import `tandem`, `tandem/testing` and `tandem/emulator` at run time and type-check a small .ts file against
 * their declarations.
 *
 * GATED: building and installing takes a minute or two on a loaded machine, so this file runs only when
 * TANDEM_PACK_TEST=1 (CI sets it in .ci/run). Run it alone with:
 *   TANDEM_PACK_TEST=1 npx vitest run test/packaging/packed-tarball.test.ts
 *
 * The pack happens in a copy of the sources (with node_modules linked), so its `prepack` clean of dist/ never
 * touches the working tree. Dependencies are installed from npm's local cache (`--prefer-offline`).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const enabled = process.env['TANDEM_PACK_TEST'] === '1';
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const LONG = 10 * 60_000;

async function sh(command: string, args: readonly string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return run(command, [...args], {
    cwd,
    maxBuffer: 32 * 1024 * 1024,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
}

describe.runIf(enabled)('the packed tarball (TANDEM_PACK_TEST=1)', () => {
  let work: string;
  let project: string;
  let tarball: string;
  let packedFiles: string[];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tandem-pack-'));
    const source = join(work, 'source');
    await mkdir(source);
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { files: string[] };
    const copied = new Set(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/']);
    for (const entry of manifest.files) if (!entry.startsWith('dist')) copied.add(entry);
    for (const entry of copied) await cp(join(root, entry), join(source, entry), { recursive: true });
    await symlink(join(root, 'node_modules'), join(source, 'node_modules'), 'dir');

    const packed = await sh(npm, ['pack', '--json', '--pack-destination', work], source);
    const report = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(work, report[0]!.filename);
    packedFiles = report[0]!.files.map((f) => f.path);

    project = join(work, 'project');
    await mkdir(project);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'tandem-newcomer', version: '1.0.0', private: true, type: 'module' }),
    );
    await sh(npm, ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], project);
  }, LONG);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('ships the built code, migrations and examples, and no tests, benches or CI files', () => {
    expect(packedFiles).toContain('dist/src/index.js');
    expect(packedFiles).toContain('dist/src/index.d.ts');
    expect(packedFiles).toContain('dist/src/cli/main.js');
    expect(packedFiles).toContain('bin/tandem.js');
    expect(packedFiles).toContain('examples/erp-schema.sql');
    expect(packedFiles.some((f) => f.startsWith('schema/migrations/'))).toBe(true);
    for (const excluded of ['test/', 'bench/', '.ci/', 'src/', 'dist/test/'])
      expect(packedFiles.filter((f) => f.startsWith(excluded))).toEqual([]);
  });

  it(
    'runs `npx tandem --help`',
    async () => {
      const { stdout } = await sh(npx, ['--no-install', 'tandem', '--help'], project);
      expect(stdout).toContain('Usage: tandem');
      expect(stdout).toContain('sync');
    },
    LONG,
  );

  it(
    'imports tandem, tandem/testing and tandem/emulator at run time',
    async () => {
      const script = `
      const [core, testing, emulator] = await Promise.all([import('tandem'), import('tandem/testing'), import('tandem/emulator')]);
      const sf = await emulator.startSalesforceEmulator({ port: 0 });
      await sf.close();
      console.log(JSON.stringify({
        loadConfig: typeof core.loadConfig, recordArb: typeof testing.recordArb, emulatorUrl: sf.url.startsWith('http://127.0.0.1:'),
      }));`;
      const { stdout } = await sh(process.execPath, ['--input-type=module', '-e', script], project);
      expect(JSON.parse(stdout.trim())).toEqual({ loadConfig: 'function', recordArb: 'function', emulatorUrl: true });
    },
    LONG,
  );

  it(
    'type-checks a consumer against the shipped declarations',
    async () => {
      await writeFile(
        join(project, 'consumer.ts'),
        [
          "import { loadConfig, compareWatermarks, type TandemConfig, type Watermark } from 'tandem';",
          "import { recordArb, type FieldSpec } from 'tandem/testing';",
          "import { startSalesforceEmulator, type RunningSalesforceEmulator } from 'tandem/emulator';",
          'export const load = (path: string): Promise<TandemConfig> => loadConfig(path, {});',
          'export const start = (): Promise<RunningSalesforceEmulator> => startSalesforceEmulator({ port: 0 });',
          'export const cmp: (a: Watermark, b: Watermark) => number = compareWatermarks;',
          'export const spec: FieldSpec | undefined = undefined;',
          'export const arb = recordArb;',
          '// Proves the declarations are real types, not `any`: this line must be rejected.',
          '// @ts-expect-error loadConfig takes a path, not a number',
          'export const wrong = loadConfig(42, {});',
          '',
        ].join('\n'),
      );
      await writeFile(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
          files: ['consumer.ts'],
        }),
      );
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], project).catch(
        (error: { stdout: string; code: number }) => ({ stdout: error.stdout, stderr: String(error.code) }),
      );
      expect(result.stdout).toBe('');
      expect(await readdir(join(project, 'node_modules', 'tandem', 'dist', 'src'))).toContain('index.d.ts');
    },
    LONG,
  );
});
