import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a V8 CPU profile spent its samples: self time per function, and per source area (file groups). */
export interface ProfileSummary {
  readonly totalMs: number;
  readonly topFunctions: readonly {
    readonly name: string;
    readonly where: string;
    readonly selfMs: number;
    readonly share: number;
  }[];
  readonly byArea: readonly { readonly area: string; readonly selfMs: number; readonly share: number }[];
}

/** The source area a frame belongs to: a tandem src/ folder, a node_modules package, node internals, GC, idle. */
export function areaOf(url: string, functionName: string): string {
  if (functionName === '(idle)') return '(idle: waiting for Postgres / HTTP)';
  if (functionName === '(garbage collector)') return '(garbage collector)';
  if (functionName === '(program)') return '(program)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm:${nm[1]}`;
  const src = /\/(src|bench)\/(.+)\/[^/]+$/.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  if (url.startsWith('node:') || url === '') return '(node internals)';
  return url;
}

/**
 * Summarises a `.cpuprofile` written by `node --cpu-prof`: self time per function (top `limit`) and per area.
 *
 * @example
 * ```ts
 * const s = await summarizeCpuProfile('bench/results/profiles/CPU.123.cpuprofile')
 * ```
 */
export async function summarizeCpuProfile(file: string, limit = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, { name: string; where: string; us: number }>();
  const area = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^.*\/(src|bench|node_modules)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const entry = fn.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    fn.set(key, entry);
    const a = areaOf(url, functionName);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const share = (us: number) => (total === 0 ? 0 : us / total);
  return {
    totalMs: total / 1000,
    topFunctions: [...fn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, limit)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, share: share(f.us) })),
    byArea: [...area.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([a, us]) => ({ area: a, selfMs: us / 1000, share: share(us) })),
  };
}
