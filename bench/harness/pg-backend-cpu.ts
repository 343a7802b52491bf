import pg from 'pg';
import { processCpuMs } from './proc-stat.js';

/** Samples the CPU time of the Postgres backends one measured process opened (see `startBackendCpuSampler`). */
export interface BackendCpuSampler {
  /** Stops sampling; the CPU ms of every backend seen, summed, and how many backends that was. */
  stop(): Promise<{ readonly cpuMs: number; readonly backends: number }>;
}

/**
 * The measured process connects with `application_name=<name>` in its connection strings (pg lets the URL's
 * parameter override the pool's own name), so its backends are the rows of pg_stat_activity with that name. Every
 * `intervalMs` this lists them and reads each one's utime + stime from /proc/<pid>/stat (Postgres runs on this
 * machine; its backends are new for the run, so their CPU from 0 is the run's). A backend's last interval before it
 * exits, and a backend that lived less than one interval, are not counted: the figure is a slight underestimate.
 */
export async function startBackendCpuSampler(
  databaseUrl: string,
  applicationName: string,
  intervalMs = 200,
): Promise<BackendCpuSampler> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'tandem-bench-sampler' });
  await client.connect();
  const seen = new Map<number, number>();
  let stopped = false;
  const sample = async (): Promise<void> => {
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where application_name = $1',
      [applicationName],
    );
    for (const { pid } of rows) {
      const ms = processCpuMs(pid);
      if (ms !== undefined) seen.set(pid, Math.max(seen.get(pid) ?? 0, ms));
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await sample().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await client.end();
      return { cpuMs: [...seen.values()].reduce((a, b) => a + b, 0), backends: seen.size };
    },
  };
}

/** `url` with `application_name=<name>` added (or replaced), so the backends it opens can be told apart. */
export function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}
