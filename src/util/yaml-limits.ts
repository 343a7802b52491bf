import { open } from 'node:fs/promises';
import type { Document } from 'yaml';

/**
 * Limits on the YAML files tandem reads (tandem.yaml and policy files). A real configuration is a few kilobytes;
 * the limits are far above that and far below what makes the parser run for minutes or gigabytes.
 */
export const YAML_LIMITS = Object.freeze({
  /** Largest file read, in bytes (1 MiB: thousands of field mappings). */
  maxFileBytes: 1024 * 1024,
  /** Most alias expansions in one document (yaml's guard against "billion laughs" alias bombs). */
  maxAliasCount: 100,
});

/** The text of a file, or its size when it is larger than `maxBytes` (then nothing more is read). */
export async function readTextWithin(
  path: string,
  maxBytes: number,
): Promise<{ readonly text: string } | { readonly tooLarge: number }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) return { tooLarge: size };
    const text = await handle.readFile('utf8');
    // A file that grew after stat (or a device without a size) is measured again.
    const bytes = Buffer.byteLength(text, 'utf8');
    return bytes > maxBytes ? { tooLarge: bytes } : { text };
  } finally {
    await handle.close();
  }
}

/** What a user reads when a YAML file is over `maxFileBytes`. */
export function tooLargeMessage(size: number, what: string): string {
  return (
    `the ${what} is ${size} bytes, more than the ${YAML_LIMITS.maxFileBytes} bytes tandem reads. ` +
    'Fix: check that this is the right file; split very large mappings into several configurations'
  );
}

/**
 * The plain value of a parsed document, or a message when its aliases expand more than `maxAliasCount` times (an
 * alias bomb is a mistake in the file, not a bug in tandem).
 */
export function plainValueOf(doc: Document): { readonly value: unknown } | { readonly message: string } {
  try {
    return { value: doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount }) as unknown };
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      return {
        message:
          `YAML aliases (*name) expand to too many nodes (more than ${YAML_LIMITS.maxAliasCount} alias uses), ` +
          'as in an "alias bomb". Fix: write the values out instead of nesting aliases',
      };
    }
    throw error;
  }
}
