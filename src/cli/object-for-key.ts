import type { TandemConfig } from '../config/tandem-config.js';
import { UsageError } from './cli-errors.js';

/** Checks that `object` is mapped in tandem.yaml, or throws a UsageError listing the mapped ones. */
export function mappedObject(config: TandemConfig, object: string): string {
  if (!config.objects.some((o) => o.name === object))
    throw new UsageError(
      `unknown object '${object}'; mapped in ${config.file}: ${config.objects.map((o) => o.name).join(', ')}`,
      { object, mapped: config.objects.map((o) => o.name) },
    );
  return object;
}

/**
 * The object a command about one key means: `--object` when given (it must be mapped), the only mapped object, or
 * else the one object whose queue holds the key (`objectsWithKey` reads the queue). A key found in no object, or in
 * several, is a UsageError that names the objects and the fix (`--object`).
 *
 * @example
 * ```ts
 * const object = await objectForKey(config, options.object, key, {
 *   queue: 'open conflict',
 *   list: 'tandem conflicts list',
 *   objectsWithKey: (k) => store.conflicts.objectsWithConflictKey(config.sync, k),
 * })
 * ```
 */
export async function objectForKey(
  config: TandemConfig,
  object: string | undefined,
  key: string,
  lookup: {
    /** What the queue holds, for messages: `open conflict`, `failed record`. */
    readonly queue: string;
    /** The command that lists the queue, for messages. */
    readonly list: string;
    readonly objectsWithKey: (key: string) => Promise<readonly string[]>;
  },
): Promise<string> {
  if (object !== undefined) return mappedObject(config, object);
  if (config.objects.length === 1) return config.objects[0]!.name;
  const mapped = new Set(config.objects.map((o) => o.name));
  const found = (await lookup.objectsWithKey(key)).filter((o) => mapped.has(o));
  if (found.length === 1) return found[0]!;
  if (found.length === 0)
    throw new UsageError(
      `no ${lookup.queue} with key '${key}' in any mapped object (${[...mapped].join(', ')}); ${lookup.list} shows the queue`,
      { key, objects: [...mapped] },
    );
  throw new UsageError(
    `key '${key}' has a ${lookup.queue} in several objects: ${found.join(', ')}. Fix: say which with --object ${found.join(' or --object ')}`,
    { key, objects: found },
    'AMBIGUOUS_KEY',
  );
}
