import { writeFileSync } from 'node:fs';
import pg from 'pg';

/**
 * Loaded with `node --import` into a bench child (BENCH_PG_TIMING_FILE set): wraps pg's Client.query to add up the
 * round-trip time per statement shape (parameters folded), and writes the totals as JSON when the process exits.
 * Round-trip time includes Postgres's own work and the wait for a CPU on a busy machine.
 */
export interface StatementTiming {
  readonly statement: string;
  readonly calls: number;
  readonly ms: number;
}

const file = process.env['BENCH_PG_TIMING_FILE'];
if (file) {
  const stats = new Map<string, { calls: number; ms: number }>();
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text?: string } | undefined;
    const text = typeof first === 'string' ? first : (first?.text ?? '(copy)');
    const shape = text
      .replace(/"bench_state_[a-z0-9_]+"\./g, '')
      .replace(/\$\d+(, \$\d+)*/g, '$n')
      .replace(/\(\$n\)(, \(\$n\))*/g, '($n)...')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 140);
    const started = performance.now();
    const result = original.apply(this, args);
    const done = () => {
      const s = stats.get(shape) ?? { calls: 0, ms: 0 };
      s.calls += 1;
      s.ms += performance.now() - started;
      stats.set(shape, s);
    };
    if (result && typeof (result as Promise<unknown>).then === 'function')
      (result as Promise<unknown>).then(done, done);
    return result;
  };
  process.on('exit', () => {
    const rows: StatementTiming[] = [...stats.entries()]
      .map(([statement, s]) => ({ statement, calls: s.calls, ms: Math.round(s.ms) }))
      .sort((a, b) => b.ms - a.ms);
    writeFileSync(file, JSON.stringify(rows));
  });
}
