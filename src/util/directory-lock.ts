import lockfile from 'proper-lockfile';
import { EXIT, TandemError } from './errors.js';

/** How long a lock nobody refreshes stays valid: a process killed with SIGKILL blocks the directory this long. */
export const DEFAULT_LOCK_STALE_MS = 20_000;

/** Another process (or another open in this one) holds a data directory that only one may use at a time. */
export class DirectoryLockedError extends TandemError {
  constructor(message: string, context: Record<string, unknown>, cause?: unknown) {
    super(message, { code: 'DATA_DIRECTORY_LOCKED', context, cause, exitCode: EXIT.unavailable });
  }
}

/** The lock was taken over by another process while held (it judged the lock stale): this process must stop. */
export class DirectoryLockLostError extends TandemError {
  constructor(message: string, context: Record<string, unknown>, cause?: unknown) {
    super(message, { code: 'DATA_DIRECTORY_LOCK_LOST', context, cause, exitCode: EXIT.failure });
  }
}

export interface DirectoryLockOptions {
  /** What the directory is, for messages, e.g. `the embedded state store`. */
  readonly what: string;
  /** What to do instead, appended to the message, e.g. `use a Postgres server (state.url)`. */
  readonly alternative: string;
  /** A lock not refreshed for this long is stale and may be taken (default DEFAULT_LOCK_STALE_MS, at least 2000). */
  readonly staleMs?: number;
}

/**
 * Takes the exclusive lock of a directory (which must exist) for this process, or throws DirectoryLockedError.
 * The lock is `<dir>.lock`, made by proper-lockfile with an atomic mkdir and refreshed while held; it is removed on
 * release and when the process exits, and a holder killed without exiting leaves one that is stale after `staleMs`.
 * A second lock of the same directory in the same process is refused too. Returns the release function (idempotent).
 *
 * @example
 * ```ts
 * const release = await lockDirectory(dataDir, { what: 'the embedded state store', alternative: 'use state.url' })
 * try { ... } finally { await release() }
 * ```
 */
export async function lockDirectory(dir: string, options: DirectoryLockOptions): Promise<() => Promise<void>> {
  const stale = Math.max(2000, options.staleMs ?? DEFAULT_LOCK_STALE_MS);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, {
      stale,
      update: Math.floor(stale / 4),
      retries: 0,
      onCompromised: (error) => {
        // Thrown from a timer, so it ends the process: two processes must never keep writing one database.
        throw new DirectoryLockLostError(
          `lost the lock of ${options.what} in ${dir}: another process took it over (the lock was not refreshed for ` +
            `${stale / 1000} s). Stopping so that two processes never write one database.`,
          { dir },
          error,
        );
      },
    });
  } catch (thrown) {
    if ((thrown as { code?: unknown }).code !== 'ELOCKED') throw thrown;
    throw new DirectoryLockedError(
      `${options.what} in ${dir} is in use by another tandem process (or already open in this one): it serves one ` +
        `process at a time, and its lock ${dir}.lock is held. Fix: wait for the other command to finish or stop it ` +
        `(a lock left by a killed process expires after ${stale / 1000} s), or ${options.alternative}.`,
      { dir, lock: `${dir}.lock` },
      thrown,
    );
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await release().catch((error: unknown) => {
      // Already released (the exit handler ran) or taken over: nothing left to undo.
      const code = (error as { code?: unknown }).code;
      if (code !== 'ERELEASED' && code !== 'ECOMPROMISED') throw error;
    });
  };
}
