import { once } from 'node:events';
import { InvalidArgumentError } from 'commander';

/** Commander parser of a non-negative integer flag (`--port`, `--seed`, ...). */
export const intFlag =
  (name: string) =>
  (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a non-negative integer, got '${value}'`);
    return Number(value);
  };

/** Commander parser of a share from 0 to 1 (`--fault-rate`, `--drop-rate`). */
export const rateFlag =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
      throw new InvalidArgumentError(`${name} must be a number from 0 to 1, got '${value}'`);
    }
    return n;
  };

/**
 * The raw fault config of an emulator's fault flags, for its own `parse...FaultConfig` (which validates it as the admin
 * API does): `--fault-kinds a,b` becomes `errorKinds: ['a', 'b']`, flags not given are left out.
 */
export function faultFlags(
  fields: Record<string, unknown> & { errorKinds?: string | undefined },
): Record<string, unknown> {
  const kinds = fields.errorKinds
    ?.split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  return Object.fromEntries(
    Object.entries({ ...fields, errorKinds: kinds }).filter(([, value]) => value !== undefined),
  );
}

/** Resolves at the first SIGINT or SIGTERM. */
export async function untilSignal(): Promise<void> {
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
}

/**
 * Keeps a started emulator running until `waitForStop` resolves (default: a signal), then closes it and, unless
 * `stoppedLine` is undefined, says so on stdout.
 */
export async function serveUntilStopped<E extends { close(): Promise<void> }>(
  running: E,
  waitForStop: ((emulator: E) => Promise<void>) | undefined,
  stdout: NodeJS.WritableStream,
  stoppedLine: string | undefined,
): Promise<void> {
  try {
    await (waitForStop ?? untilSignal)(running);
  } finally {
    await running.close();
    if (stoppedLine !== undefined) stdout.write(`${stoppedLine}\n`);
  }
}

/** The entries of `options` that are not undefined (start options from flags that may be absent). */
export function definedOnly<T extends Record<string, unknown>>(
  options: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
