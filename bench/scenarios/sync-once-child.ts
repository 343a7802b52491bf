import { runSync } from '../../src/pipeline/run-sync.js';
import { openBenchEngine, type BenchEngineOptions } from '../harness/bench-engine.js';

export interface SyncOnceResult {
  /** `runSync` alone (engine already open). */
  readonly syncMs: number;
  /** Opening the engine: config, state migration check, connector init (token, describe). */
  readonly openMs: number;
  readonly status: string;
  readonly writes: number;
  readonly captured: { readonly erp: number; readonly crm: number };
  readonly written: { readonly erp: number; readonly crm: number };
  readonly stages: Readonly<Record<string, number>>;
}

/** Child: opens the engine as `tandem sync` does and runs one incremental sync; stage times from the checkpoint hook. */
export async function syncOnceChild(input: BenchEngineOptions): Promise<SyncOnceResult> {
  const opened = performance.now();
  const engine = await openBenchEngine(input);
  try {
    const started = performance.now();
    const marks: [string, number][] = [];
    const result = await runSync(engine.context, {
      checkpoint: (step) => {
        if (!step.startsWith('captured-page') && !step.startsWith('write-batch') && !step.startsWith('before-apply'))
          marks.push([step.replace(':account', ''), performance.now()]);
      },
    });
    const end = performance.now();
    const stages: Record<string, number> = {};
    let previous = started;
    for (const [step, at] of marks) {
      stages[`until ${step}`] = Math.round(at - previous);
      previous = at;
    }
    stages['finish'] = Math.round(end - previous);
    const c = result.counts['account'];
    return {
      syncMs: end - started,
      openMs: started - opened,
      status: result.status,
      writes: result.writes,
      captured: { erp: c?.erp.captured ?? 0, crm: c?.crm.captured ?? 0 },
      written: {
        erp: (c?.erp.created ?? 0) + (c?.erp.updated ?? 0),
        crm: (c?.crm.created ?? 0) + (c?.crm.updated ?? 0),
      },
      stages,
    };
  } finally {
    await engine.close();
  }
}
