import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseEnv } from 'node:util';
import { TandemError } from '../util/errors.js';
import { configErrorOf } from './config-issues.js';

/** The file beside tandem.yaml whose variables `${VAR}` references may use (the process environment wins). */
export const ENV_FILE_NAME = '.env';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The variables of the `.env` file beside `configFile` (dotenv syntax: `KEY=value`, `# comments`, quoted values),
 * or `{}` when there is none. Throws ConfigError when the file exists but cannot be read.
 *
 * @example
 * ```ts
 * const env = withEnvFile(process.env, await readEnvFileBeside('/srv/tandem/tandem.yaml'))
 * ```
 */
export async function readEnvFileBeside(configFile: string): Promise<Record<string, string>> {
  const file = join(dirname(configFile), ENV_FILE_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    throw configErrorOf(file, [
      {
        file,
        path: '',
        message: `cannot be read (${code ?? 'unknown error'}). Fix: check its permissions, or remove it (its variables can come from the environment instead)`,
      },
    ]);
  }
  return parseEnv(text) as Record<string, string>;
}

/** The environment `${VAR}` references see: the file's variables, overridden by those set in `env`. */
export function withEnvFile(env: Env, fileEnv: Readonly<Record<string, string>>): Env {
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
  return { ...fileEnv, ...set };
}

/**
 * Writes `vars` as the `.env` file beside `configFile`, readable by its owner only (it may hold secrets: they are
 * written here so commands run later find them, and never printed). Values must fit on one line without `"`.
 */
export async function writeEnvFileBeside(configFile: string, vars: Readonly<Record<string, string>>): Promise<string> {
  const file = join(dirname(configFile), ENV_FILE_NAME);
  const lines = Object.entries(vars).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /["\r\n\\]/.test(value)) {
      throw new TandemError(
        `cannot write ${name} to ${file}: names are [A-Za-z_][A-Za-z0-9_]*, values one line without " or \\`,
        { code: 'ENV_FILE_VALUE', context: { file, name } },
      );
    }
    return `${name}="${value}"`;
  });
  const header =
    '# Written by tandem: the variables the tandem.yaml beside this file refers to. The environment wins.\n';
  await writeFile(file, header + lines.join('\n') + '\n', { encoding: 'utf8', mode: 0o600 });
  return file;
}
