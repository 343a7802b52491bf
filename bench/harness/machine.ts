import { cpus, loadavg, totalmem } from 'node:os';
import pg from 'pg';

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly node: string;
  readonly postgres: string;
  /** 1-minute load average when the bench started and ended (other work on the machine slows every figure). */
  readonly loadAverage: { start: number; end?: number };
}

export async function machineInfo(databaseUrl: string): Promise<MachineInfo> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(`select current_setting('server_version') as v`);
    return {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      postgres: rows[0]?.v ?? 'unknown',
      loadAverage: { start: loadavg()[0] ?? 0 },
    };
  } finally {
    await client.end();
  }
}
