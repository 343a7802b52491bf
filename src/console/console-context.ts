import type { TandemConfig } from '../config/tandem-config.js';
import type { RunSummary } from '../model/run-log.js';
import type { SystemId } from '../model/system.js';
import type { StateStore } from '../state/state-store.js';

/** How a run was started, as `tandem serve` records it (serve_run). */
export interface ConsoleServeRun {
  readonly trigger: string;
  readonly replica: string;
  readonly full: boolean;
}

/**
 * What every console page may use: the state store of the sync (its queues and run history, through the same
 * methods the CLI's commands call), the config, and the service's run queue. Built by `tandem serve`.
 */
export interface ConsoleContext {
  readonly sync: string;
  readonly config: TandemConfig;
  /** The mapped objects, in config order. */
  readonly objects: readonly string[];
  readonly store: StateStore;
  /** One run of the history (null when there is no such run). */
  run(id: string): Promise<RunSummary | undefined>;
  /** Who ran which runs, as `tandem serve` recorded them. */
  serveRuns(ids: readonly string[]): Promise<ReadonlyMap<string, ConsoleServeRun>>;
  /** When each side of each object was last captured up to date. */
  captureTimes(): Promise<readonly { object: string; system: SystemId; at: Date }[]>;
  /** Queues runs of these objects, like POST /runs. */
  enqueue(
    objects: readonly string[],
    kind: 'increment' | 'full',
  ): Promise<readonly { readonly object: string; readonly jobId: string | null }[]>;
  now(): Date;
}
