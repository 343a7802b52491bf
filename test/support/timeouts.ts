import { availableParallelism, loadavg } from 'node:os';

/** The smallest multiplier: a test's budget is a guard against hangs, never a performance assertion. */
const MIN_SCALE = 4;

/**
 * How much to stretch every test's time budget. `TANDEM_TEST_TIMEOUT_SCALE` (a positive number) sets it; otherwise
 * it is at least MIN_SCALE and grows with the load on the machine when the run starts (load average per core), so a
 * second `npm test` on the same two cores does not make tests fail by chance.
 */
export function timeoutScale(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['TANDEM_TEST_TIMEOUT_SCALE'];
  if (raw !== undefined && raw !== '') {
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`TANDEM_TEST_TIMEOUT_SCALE must be a positive number, got '${raw}'`);
    }
    return value;
  }
  const perCore = (loadavg()[0] ?? 0) / Math.max(1, availableParallelism());
  return Math.max(MIN_SCALE, Math.ceil(perCore));
}

/** A test's or hook's budget: `ms` on a quiet machine, times `timeoutScale()`. */
export function scaled(ms: number, env: NodeJS.ProcessEnv = process.env): number {
  return Math.round(ms * timeoutScale(env));
}
