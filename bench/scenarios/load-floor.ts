import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { request } from 'undici';
import { openStateDatabase } from '../../src/state/state-database.js';
import { StateStore } from '../../src/state/state-store.js';
import type { BenchSettings } from '../harness/bench-settings.js';
import { runInChild } from '../harness/child-process.js';
import { bulkToken, startEmulatorProcess } from '../harness/emulator-process.js';

/** The four steps of the initial load's floor, in order (their ms in `LoadFloorResult.steps`). */
export const FLOOR_STEPS = {
  upload: 'COPY of the mapped columns streamed into the Bulk API upload (create job, PUT, UploadComplete)',
  remote: "the emulator's own processing (UploadComplete to JobComplete, polled every 50 ms)",
  results: 'the result rows streamed by COPY into a staging table',
  state: 'COPY of the state rows into a record_state table',
} as const;

export type FloorStep = keyof typeof FLOOR_STEPS;

export interface LoadFloorInput {
  readonly databaseUrl: string;
  readonly table: string;
  /** Schema for the floor's own tables (a migrated state schema; dropped at the end). */
  readonly schema: string;
  readonly emulatorUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly rows: number;
}

export interface LoadFloorResult {
  readonly steps: Readonly<Record<FloorStep, number>>;
  /** The job's own `totalProcessingTime` as the emulator reports it, ms. */
  readonly remoteProcessingMs: number;
  readonly processed: number;
}

/** The mapped columns as the jsforce script selects them (the same transforms as tandem's mapping, in SQL). */
const MAPPED = `customer_no AS "External_Id__c", trim(name) AS "Name", phone AS "Phone", lower(trim(website)) AS "Website",
  industry AS "Industry", city AS "BillingCity", country AS "BillingCountry", employees AS "NumberOfEmployees"`;

/**
 * Child: the least work an initial load of `rows` records must do on this machine, step by step, against the same
 * Postgres and a fresh emulator: no planning, no state until the end, nothing kept in Node. Each step is timed
 * alone (FLOOR_STEPS). The state rows of step 4 are read from Postgres into a file before the clock starts, so the
 * step is the COPY alone.
 */
export async function loadFloorChild(input: LoadFloorInput): Promise<LoadFloorResult> {
  const store = new StateStore(await openStateDatabase({ kind: 'postgres', url: input.databaseUrl }, input.schema));
  await store.migrate();
  await store.close();
  const out = new pg.Client({ connectionString: input.databaseUrl });
  const into = new pg.Client({ connectionString: input.databaseUrl });
  await out.connect();
  await into.connect();
  const dir = await mkdtemp(join(tmpdir(), 'tandem-floor-'));
  try {
    const token = await bulkToken(input.emulatorUrl, input.clientId, input.clientSecret);
    const api = `${input.emulatorUrl}/services/data/v62.0/jobs/ingest`;
    const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) => {
      const res = await request(url, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const parsed = (await res.body.json()) as Record<string, unknown>;
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${JSON.stringify(parsed)}`);
      return parsed;
    };

    // 1. COPY TO STDOUT streamed straight into the job's upload.
    const t1 = performance.now();
    const job = await call('POST', api, {
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'External_Id__c',
      contentType: 'CSV',
      lineEnding: 'LF',
    });
    const jobUrl = `${api}/${String(job['id'])}`;
    const csv = out.query(copyTo(`COPY (SELECT ${MAPPED} FROM ${input.table}) TO STDOUT WITH (FORMAT csv, HEADER)`));
    const put = await request(`${jobUrl}/batches`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: csv,
    });
    await put.body.dump();
    if (put.statusCode !== 201) throw new Error(`upload: ${put.statusCode}`);
    await call('PATCH', jobUrl, { state: 'UploadComplete' });
    const t2 = performance.now();

    // 2. The emulator's processing, as a client polling every 50 ms sees it.
    let info: Record<string, unknown>;
    for (;;) {
      info = await call('GET', jobUrl);
      if (info['state'] === 'JobComplete' || info['state'] === 'Failed' || info['state'] === 'Aborted') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const t3 = performance.now();
    if (info['state'] !== 'JobComplete') throw new Error(`floor job ended ${String(info['state'])}`);

    // 3. The result rows streamed by COPY into a staging table (sf__Id, sf__Created, then the uploaded columns).
    const s = input.schema;
    await into.query(`create table ${s}.floor_results (sf_id text, sf_created text, external_id text, name text,
      phone text, website text, industry text, city text, country text, employees text)`);
    const t4 = performance.now();
    const results = await request(`${jobUrl}/successfulResults/`, { headers: { authorization: `Bearer ${token}` } });
    if (results.statusCode !== 200) throw new Error(`results: ${results.statusCode}`);
    await pipeline(results.body, into.query(copyFrom(`COPY ${s}.floor_results FROM STDIN WITH (FORMAT csv, HEADER)`)));
    const t5 = performance.now();

    // 4. The state rows (base, both ids) into record_state by COPY; built into a file first, off the clock.
    const file = join(dir, 'state.csv');
    await pipeline(
      out.query(
        copyTo(`COPY (
          SELECT 'bench', 'account', c.customer_no,
                 jsonb_build_object('city', c.city, 'country', c.country, 'employees', c.employees, 'industry', c.industry,
                                    'name', trim(c.name), 'phone', c.phone, 'website', lower(trim(c.website))),
                 true, true, c.customer_no, r.sf_id, now(), false
            FROM ${input.table} c JOIN ${s}.floor_results r ON r.external_id = c.customer_no) TO STDOUT WITH (FORMAT csv)`),
      ),
      createWriteStream(file),
    );
    const t6 = performance.now();
    await pipeline(
      createReadStream(file),
      into.query(
        copyFrom(`COPY ${s}.record_state (sync_name, object, key, base, erp_exists, crm_exists, erp_id, crm_id,
          updated_at, pending_delete) FROM STDIN WITH (FORMAT csv)`),
      ),
    );
    const t7 = performance.now();
    return {
      steps: { upload: t2 - t1, remote: t3 - t2, results: t5 - t4, state: t7 - t6 },
      remoteProcessingMs: Number(info['totalProcessingTime'] ?? Number.NaN),
      processed: Number(info['numberRecordsProcessed'] ?? 0),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await into.query(`drop schema if exists ${input.schema} cascade`).catch(() => {});
    await out.end();
    await into.end();
  }
}

/** One floor measurement in a child process against a fresh emulator and a scratch schema. */
export async function loadFloorOnce(
  settings: BenchSettings,
  table: string,
  rows: number,
  tag: string,
): Promise<LoadFloorResult> {
  const sf = await startEmulatorProcess();
  try {
    const run = await runInChild<LoadFloorResult>(new URL(import.meta.url), 'loadFloorChild', {
      databaseUrl: settings.databaseUrl,
      table,
      schema: `bench_floor_${process.pid}_${tag}`,
      emulatorUrl: sf.url,
      clientId: sf.clientId,
      clientSecret: sf.clientSecret,
      rows,
    } satisfies LoadFloorInput);
    if (run.result.processed !== rows)
      throw new Error(`the floor's job processed ${run.result.processed} of ${rows} records`);
    const s = run.result.steps;
    console.error(
      `  floor ${tag}: upload ${(s.upload / 1000).toFixed(1)} s, emulator ${(s.remote / 1000).toFixed(1)} s, results ${(s.results / 1000).toFixed(1)} s, state ${(s.state / 1000).toFixed(1)} s`,
    );
    return run.result;
  } finally {
    await sf.close();
  }
}
