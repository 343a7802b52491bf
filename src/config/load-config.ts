import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigIssue } from '../util/errors.js';
import { readTextWithin, tooLargeMessage, YAML_LIMITS } from '../util/yaml-limits.js';
import { configErrorOf } from './config-issues.js';
import { readEnvFileBeside, withEnvFile } from './env-file.js';
import { BUILTIN_POLICIES, isBuiltinPolicy } from '../resolve/policy/builtin-policies.js';
import { checkConfig, type ParseConfigOptions } from './parse-config.js';
import type { TandemConfig } from './tandem-config.js';

/**
 * Reads, validates and freezes a tandem.yaml. `${VAR}` references see `env`, then the variables of a `.env` file
 * beside the config (see env-file.ts), so a folder can carry what its tandem.yaml needs. Throws a ConfigError listing every issue: a missing file, YAML syntax,
 * unknown keys, unset environment variables, literal secrets, bad mappings, and policy files that do not exist.
 * With `references: 'leave'` (see ParseConfigOptions) the environment is not read: for checks that connect to nothing.
 *
 * @example
 * ```ts
 * const config = await loadConfig('tandem.yaml', process.env)
 * ```
 */
export async function loadConfig(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
  options: ParseConfigOptions = {},
): Promise<TandemConfig> {
  let read: Awaited<ReturnType<typeof readTextWithin>>;
  try {
    read = await readTextWithin(file, YAML_LIMITS.maxFileBytes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? 'file not found. Fix: run `tandem init` to write a commented example, or pass the right path with --config'
        : code === 'EISDIR'
          ? 'is a folder, not a file. Fix: pass the path of tandem.yaml itself'
          : `cannot be read (${code ?? 'unknown error'}). Fix: check the path and its permissions`;
    throw configErrorOf(file, [{ file, path: '', message }]);
  }
  if ('tooLarge' in read) {
    throw configErrorOf(file, [{ file, path: '', message: tooLargeMessage(read.tooLarge, 'configuration file') }]);
  }
  const text = read.text;
  // Leaving references unresolved reads no environment, so not the .env file either.
  const environment = options.references === 'leave' ? {} : withEnvFile(env, await readEnvFileBeside(file));
  const { config, issues, source } = checkConfig(text, file, environment, options);
  if (config === undefined) throw configErrorOf(file, issues);

  const missing: ConfigIssue[] = [];
  for (const object of config.objects) {
    if (isBuiltinPolicy(object.policy)) continue;
    const policyFile = join(config.policies.dir, object.policy);
    const found = await stat(policyFile).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!found) {
      const path = ['objects', object.name, 'policy'];
      missing.push({
        file,
        ...source.locate(path),
        path: path.join('.'),
        message:
          `policy file '${object.policy}' not found in ${config.policies.dir}. ` +
          `Fix: create it, set policies.dir, or use a built-in: ${BUILTIN_POLICIES.join(', ')}`,
      });
    }
  }
  if (missing.length > 0) throw configErrorOf(file, missing);
  return config;
}
