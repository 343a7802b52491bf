import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU time of one process from /proc/<pid>/stat, in clock ticks (see `clockTicksPerSecond`). */
export interface ProcCpuTicks {
  /** utime + stime: the process's own CPU. */
  readonly own: number;
  /** cutime + cstime: CPU of its children that exited and were waited for. */
  readonly children: number;
}

/**
 * Parses the CPU fields of a /proc/<pid>/stat line. The command name (field 2) is in parentheses and may itself hold
 * spaces and parentheses, so the fields are counted from the last `)`: utime, stime, cutime, cstime are fields 14-17.
 *
 * @example
 * ```ts
 * parseProcStat('42 (postgres: bench (x)) S 1 42 42 0 -1 4194368 10 0 0 0 250 30 4 1 20 0 1 0 99') // { own: 280, children: 5 }
 * ```
 */
export function parseProcStat(line: string): ProcCpuTicks {
  const close = line.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${line.slice(0, 80)}`);
  // After the ')': field 3 (state) is index 0, so field n is index n - 3.
  const fields = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const field = (n: number): number => {
    const value = Number(fields[n - 3]);
    if (!Number.isFinite(value)) throw new Error(`/proc/<pid>/stat field ${n} is not a number: ${line.slice(0, 80)}`);
    return value;
  };
  return { own: field(14) + field(15), children: field(16) + field(17) };
}

let ticks: number | undefined;

/** `getconf CLK_TCK` (100 on Linux almost everywhere), read once. */
export function clockTicksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** The process's own CPU time so far (ms), or undefined when it is gone or /proc is not readable. */
export function processCpuMs(pid: number): number | undefined {
  try {
    return (parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).own * 1000) / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}
