import { readFileSync } from 'node:fs';
import { readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import lockfile from 'proper-lockfile';
import { EXIT, TandemError } from './errors.js';

/**
 * How long a lock whose holder cannot be checked (its owner file is missing or written on another host) stays valid
 * without a refresh. A holder on this host is checked directly: gone (SIGKILL, a crash) frees the lock at once;
 * alive keeps it, however long it went without refreshing it (a process starved of CPU is not dead).
 */
export const DEFAULT_LOCK_STALE_MS = 60_000;

/** How often a holder refreshes its lock: well below the stale time, so a loaded machine does not make it look stale. */
const LOCK_UPDATE_MS = 5_000;

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
  /**
   * A lock whose holder cannot be checked and that was not refreshed for this long is stale and may be taken
   * (default DEFAULT_LOCK_STALE_MS, at least 2000).
   */
  readonly staleMs?: number;
}

/** `<dir>.lock.owner`: who holds `<dir>.lock`, and which lock (the lock directory's inode and birth time) it names. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** The process's start time in clock ticks since boot (Linux), so that a reused pid is not taken for the holder. */
  readonly started: string | null;
  readonly ino: number;
  readonly birthtimeMs: number;
}

/** Field 22 of /proc/<pid>/stat (start time since boot), or null where there is no /proc. */
function processStartTime(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EPERM') return false; // ESRCH: no such process
  }
  // The pid exists; it is the holder unless it was reused by a process started later.
  return owner.started === null || processStartTime(owner.pid) === owner.started;
}

/**
 * The current holder of `lockPath` as far as this host can tell: none (no lock), alive or gone (a process of this
 * host, checked by pid), or unknown (no owner file for this lock, or a holder on another host: judge by the lock's age).
 */
async function holderOf(
  lockPath: string,
): Promise<{ state: 'none' } | { state: 'unknown' } | { state: 'alive' | 'gone'; owner: LockOwner }> {
  const lock = await stat(lockPath).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw error;
  });
  if (lock === null) return { state: 'none' };
  let owner: LockOwner;
  try {
    owner = JSON.parse(await readFile(`${lockPath}.owner`, 'utf8')) as LockOwner;
  } catch {
    return { state: 'unknown' };
  }
  // An owner file left by an earlier lock (its holder exited or was killed, then another process locked) does not
  // name this one; nor does one whose holder has just locked and not yet written it.
  if (owner.ino !== lock.ino || owner.birthtimeMs !== lock.birthtimeMs || owner.host !== hostname())
    return { state: 'unknown' };
  return { state: isAlive(owner) ? 'alive' : 'gone', owner };
}

/**
 * Takes the exclusive lock of a directory (which must exist) for this process, or throws DirectoryLockedError.
 * The lock is `<dir>.lock`, made by proper-lockfile with an atomic mkdir and refreshed every 5 s while held; it is
 * removed on release and when the process exits. `<dir>.lock.owner` says which process holds it: a lock whose holder
 * is gone (killed with SIGKILL) is taken at once, one whose holder is alive is never taken, and one whose holder
 * cannot be checked (another host) is taken once not refreshed for `staleMs`.
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
  const lockPath = `${dir}.lock`;
  const ownerPath = `${lockPath}.owner`;
  const locked = (pid: number | null, cause?: unknown) =>
    new DirectoryLockedError(
      `${options.what} in ${dir} is in use by another tandem process (or already open in this one): it serves one ` +
        `process at a time, and its lock ${lockPath} is held${pid === null ? '' : ` by process ${pid}`}. Fix: wait ` +
        `for the other command to finish or stop it (the lock of a process that was killed is taken over at once), ` +
        `or ${options.alternative}.`,
      { dir, lock: lockPath, ...(pid === null ? {} : { pid }) },
      cause,
    );
  const holder = await holderOf(lockPath);
  if (holder.state === 'alive') throw locked(holder.owner.pid);
  // Its holder is gone: the lock protects nothing. (Removing it races as proper-lockfile's own stale removal does.)
  if (holder.state === 'gone') await rmdir(lockPath).catch(() => {});
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, {
      stale,
      update: Math.min(LOCK_UPDATE_MS, Math.floor(stale / 4)),
      retries: 0,
      onCompromised: (error) => {
        // Thrown from a timer, so it ends the process: two processes must never keep writing one database.
        throw new DirectoryLockLostError(
          `lost the lock of ${options.what} in ${dir}: another process took it over (it judged the lock stale or ` +
            `its holder gone). Stopping so that two processes never write one database.`,
          { dir },
          error,
        );
      },
    });
  } catch (thrown) {
    if ((thrown as { code?: unknown }).code !== 'ELOCKED') throw thrown;
    throw locked(null, thrown);
  }
  let owner: LockOwner;
  try {
    const lock = await stat(lockPath);
    owner = {
      pid: process.pid,
      host: hostname(),
      started: processStartTime(process.pid),
      ino: lock.ino,
      birthtimeMs: lock.birthtimeMs,
    };
    await writeFile(ownerPath, JSON.stringify(owner));
  } catch (error) {
    await release().catch(() => {});
    throw error;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    // The owner file first (if it is still ours): a lock without one is judged by its age, never taken while fresh.
    const current = await readFile(ownerPath, 'utf8').catch(() => null);
    if (current === JSON.stringify(owner)) await rm(ownerPath, { force: true });
    await release().catch((error: unknown) => {
      // Already released (the exit handler ran) or taken over: nothing left to undo.
      const code = (error as { code?: unknown }).code;
      if (code !== 'ERELEASED' && code !== 'ECOMPROMISED') throw error;
    });
  };
}
