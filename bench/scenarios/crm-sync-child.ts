import { runSync } from '../../src/pipeline/run-sync.js';
import { CRM_BENCH_OBJECT, openCrmBenchEngine, type CrmBenchEngineOptions } from '../harness/crm-bench-engine.js';

export interface CrmSyncResult {
  /** `runSync` alone (engine already open). */
  readonly syncMs: number;
  /** Opening the engine: config, state migration, connector init (token, schema check). */
  readonly openMs: number;
  readonly status: string;
  readonly error?: string;
  readonly writes: number;
  readonly captured: { readonly erp: number; readonly crm: number };
  readonly written: { readonly erp: number; readonly crm: number };
  readonly created: number;
  /** ms between the pipeline's checkpoints (end of capture per side, planning, ...), in order. */
  readonly stages: Readonly<Record<string, number>>;
}

/** Child: opens the engine as `tandem sync` does (HubSpot or Zoho CRM) and runs one `runSync`. */
export async function crmSyncChild(input: CrmBenchEngineOptions): Promise<CrmSyncResult> {
  const opened = performance.now();
  const engine = await openCrmBenchEngine(input);
  try {
    const started = performance.now();
    const marks: [string, number][] = [];
    const result = await runSync(engine.context, {
      checkpoint: (step) => {
        if (!step.startsWith('captured-page') && !step.startsWith('write-batch') && !step.startsWith('before-apply'))
          marks.push([step.replace(`:${CRM_BENCH_OBJECT}`, ''), performance.now()]);
      },
    });
    const end = performance.now();
    const stages: Record<string, number> = {};
    let previous = started;
    for (const [step, at] of marks) {
      stages[`until ${step}`] = (stages[`until ${step}`] ?? 0) + Math.round(at - previous);
      previous = at;
    }
    stages['finish'] = Math.round(end - previous);
    const c = result.counts[CRM_BENCH_OBJECT];
    return {
      syncMs: end - started,
      openMs: started - opened,
      status: result.status,
      ...(result.error ? { error: result.error.message } : {}),
      writes: result.writes,
      captured: { erp: c?.erp.captured ?? 0, crm: c?.crm.captured ?? 0 },
      written: {
        erp: (c?.erp.created ?? 0) + (c?.erp.updated ?? 0),
        crm: (c?.crm.created ?? 0) + (c?.crm.updated ?? 0),
      },
      created: c?.crm.created ?? 0,
      stages,
    };
  } finally {
    await engine.close();
  }
}
