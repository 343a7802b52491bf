import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type {
  CrmEmulatorInfo,
  CrmEmulatorKind,
  CrmEmulatorRequest,
  CrmEmulatorStats,
} from './crm-emulator-protocol.js';

/** A HubSpot or Zoho emulator in its own process (so its memory never counts as tandem's), driven over IPC. */
export interface CrmEmulatorProcess {
  readonly info: CrmEmulatorInfo;
  /** The emulator's own counters (requests, credits, jobs) since it started. */
  stats(): Promise<CrmEmulatorStats>;
  /** Live records of the bench's object. */
  count(): Promise<number>;
  /** Sets the phone of these keys' records, as a CRM user would (a change tandem must capture). */
  edit(keys: readonly string[], value: string): Promise<void>;
  close(): Promise<void>;
}

const HOST = fileURLToPath(new URL('./crm-emulator-host.ts', import.meta.url));

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * Starts bench/harness/crm-emulator-host.ts (the emulator's exported start function) in a child process.
 *
 * @example
 * ```ts
 * const hs = await startCrmEmulatorProcess('hubspot')
 * try { (await hs.stats()).httpRequests } finally { await hs.close() }
 * ```
 */
export async function startCrmEmulatorProcess(kind: CrmEmulatorKind): Promise<CrmEmulatorProcess> {
  const child: ChildProcess = fork(HOST, [kind], {
    execArgv: ['--max-old-space-size=8192', '--import', 'tsx'],
    env: { ...process.env, TANDEM_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8000)));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let ready: ((info: CrmEmulatorInfo) => void) | undefined;
  child.on('message', (raw) => {
    const m = raw as { ready?: CrmEmulatorInfo; id?: number; result?: unknown; error?: string };
    if (m.ready) ready?.(m.ready);
    else if (m.id !== undefined) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(`${kind} emulator: ${m.error}`));
      else p?.resolve(m.result);
    }
  });
  child.once('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`${kind} emulator exited (${code}):\n${stderr}`));
    pending.clear();
  });
  const info = await new Promise<CrmEmulatorInfo>((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`${kind} emulator exited (${code}) before listening:\n${stderr}`)));
  });
  let next = 0;
  const ask = (request: Distribute<CrmEmulatorRequest>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      child.send({ ...request, id });
    });
  return {
    info,
    stats: async () => (await ask({ op: 'stats' })) as CrmEmulatorStats,
    count: async () => (await ask({ op: 'count' })) as number,
    edit: async (keys, value) => {
      await ask({ op: 'edit', keys, value });
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      await ask({ op: 'close' }).catch(() => undefined);
      await exited;
    },
  };
}
