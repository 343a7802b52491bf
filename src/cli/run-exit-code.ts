import type { SyncRunResult } from '../pipeline/run-sync.js';
import { EXIT, TandemError } from '../util/errors.js';

/** A run's exit code: 0 succeeded, 1 partial, else its error's (4 unreachable, 5 unexpected...). */
export function exitCodeOf(result: SyncRunResult): number {
  if (result.status === 'succeeded') return EXIT.ok;
  if (result.status === 'partial') return EXIT.partial;
  return result.error instanceof TandemError ? result.error.exitCode : EXIT.failure;
}
