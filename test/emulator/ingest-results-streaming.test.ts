import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../src/emulator/salesforce/index.js';
import { UploadSpool } from '../../src/emulator/salesforce/upload-spool.js';
import { scaled } from '../support/timeouts.js';
import { api, type Api, ingest, token } from './emulator-http.js';

/** Temp files this process's emulators spooled uploads to and did not remove. */
async function leftoverUploads(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((f) => f.startsWith(`tandem-sf-upload-${process.pid}-`));
}

/** GETs a result file and keeps the body's chunks as they arrived. */
async function chunksOf(
  sf: RunningSalesforceEmulator,
  accessToken: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; chunks: Buffer[] }> {
  const res = await request(`${sf.url}/services/data/v62.0${path}`, {
    headers: { authorization: `Bearer ${accessToken}`, ...headers },
  });
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(chunk as Buffer);
  return { status: res.statusCode, headers: res.headers, chunks };
}

// Quotes, commas, line breaks (LF and CRLF), non-ASCII, #N/A, a double echoed in Java's format, a failing row.
const TRICKY_CSV = [
  'External_Id__c,Name,Description,AnnualRevenue,NumberOfEmployees,BillingCity',
  'K-1,"Acme, ""the"" Corp","line one\nline two",912260031,12,Zürich',
  'K-2,Crème Brûlée SA,"a\r\nb",100,#N/A,東京',
  'K-3,Bad Employees,,1.5,abc,',
  'K-4,"Trailing ""quote""",",",0.001,0,São Paulo',
  '',
].join('\n');

// What the emulator rendered for TRICKY_CSV before results were streamed from compact state (main at 7a1c496),
// byte for byte.
const TRICKY_SUCCESS =
  '"sf__Id","sf__Created",External_Id__c,Name,Description,AnnualRevenue,NumberOfEmployees,BillingCity\n' +
  '"001Ex0000000001IAA","true","K-1","Acme, ""the"" Corp","line one\nline two","9.12260031E8","12","Zürich"\n' +
  '"001Ex0000000002IAA","true","K-2","Crème Brûlée SA","a\r\nb","100.0","","東京"\n' +
  '"001Ex0000000003IAA","true","K-4","Trailing ""quote""",",","0.001","0","São Paulo"\n';
const TRICKY_FAILED =
  '"sf__Id","sf__Error",External_Id__c,Name,Description,AnnualRevenue,NumberOfEmployees,BillingCity\n' +
  '"","INVALID_TYPE_ON_FIELD_IN_RECORD:Employees: value not of required type: abc:NumberOfEmployees --","K-3","Bad Employees","","1.5","abc",""\n';

describe('ingest result files', () => {
  let sf: RunningSalesforceEmulator;
  let access: string;
  let call: Api;

  beforeAll(async () => {
    sf = await startSalesforceEmulator();
    access = await token(sf);
    call = api(sf, access);
  });
  afterAll(() => sf.close());

  it('render a job with quotes, commas, line breaks and non-ASCII exactly as before, also gzipped and again later', async () => {
    const job = await ingest(
      call,
      { object: 'Account', operation: 'upsert', externalIdFieldName: 'External_Id__c' },
      TRICKY_CSV,
    );
    expect(job['state']).toBe('JobComplete');
    const success = await call(`/jobs/ingest/${job.id}/successfulResults`);
    expect(success.text).toBe(TRICKY_SUCCESS);
    const failed = await call(`/jobs/ingest/${job.id}/failedResults`);
    expect(failed.text).toBe(TRICKY_FAILED);
    const unprocessed = await call(`/jobs/ingest/${job.id}/unprocessedrecords`);
    expect(unprocessed.text).toBe('External_Id__c,Name,Description,AnnualRevenue,NumberOfEmployees,BillingCity\n');
    const gz = await chunksOf(sf, access, `/jobs/ingest/${job.id}/successfulResults`, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(Buffer.concat(gz.chunks)).toString('utf8')).toBe(TRICKY_SUCCESS);
    // Another job later, and the results of the first are still there, unchanged.
    await ingest(call, { object: 'Account', operation: 'insert' }, 'Name\nOther\n');
    expect((await call(`/jobs/ingest/${job.id}/successfulResults`)).text).toBe(TRICKY_SUCCESS);
    expect((await call(`/jobs/ingest/${job.id}/failedResults`)).text).toBe(TRICKY_FAILED);
  });

  it('keep CRLF and the column delimiter in every result file, unprocessed rows included', async () => {
    sf.setFaults({ failJobAfterRecords: 1 });
    try {
      const job = await ingest(
        call,
        { object: 'Account', operation: 'insert', lineEnding: 'CRLF', columnDelimiter: 'PIPE' },
        'Name|Description\r\n"A|1"|"x\r\ny"\r\n"B ""2"""|plain\r\n',
      );
      expect(job['state']).toBe('Failed');
      const success = await call(`/jobs/ingest/${job.id}/successfulResults`);
      expect(success.text).toMatch(
        /^"sf__Id"\|"sf__Created"\|Name\|Description\r\n"001Ex[0-9A-Za-z]{13}"\|"true"\|"A\|1"\|"x\r\ny"\r\n$/,
      );
      const unprocessed = await call(`/jobs/ingest/${job.id}/unprocessedrecords`);
      expect(unprocessed.text).toBe('Name|Description\r\n"B ""2"""|"plain"\r\n');
    } finally {
      sf.setFaults({});
    }
  });

  it('streams a big successfulResults in several chunks that add up to one row per record', async () => {
    const rows = 5000;
    let csv = 'External_Id__c,Name,Phone\n';
    for (let i = 0; i < rows; i++) csv += `S-${i},"Stream, ${i}",+1 555 ${String(i).padStart(4, '0')}\n`;
    const job = await ingest(
      call,
      { object: 'Account', operation: 'upsert', externalIdFieldName: 'External_Id__c' },
      csv,
    );
    expect(job['numberRecordsProcessed']).toBe(rows);
    const res = await chunksOf(sf, access, `/jobs/ingest/${job.id}/successfulResults`);
    expect(res.status).toBe(200);
    expect(res.chunks.length).toBeGreaterThan(1);
    const lines = Buffer.concat(res.chunks).toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines[0]).toBe('"sf__Id","sf__Created",External_Id__c,Name,Phone');
    expect(lines).toHaveLength(rows + 1);
    const byKey = new Map(sf.store.list('Account').map((r) => [r['External_Id__c'], r['Id']]));
    for (let i = 0; i < rows; i++) {
      const id = byKey.get(`S-${i}`);
      expect(lines[i + 1]).toBe(
        `"${String(id)}","true","S-${i}","Stream, ${i}","+1 555 ${String(i).padStart(4, '0')}"`,
      );
    }
  });

  it('removes the spooled upload once the job has run, and when an uploaded job is aborted or deleted', async () => {
    const before = await leftoverUploads();
    const done = await ingest(call, { object: 'Account', operation: 'insert' }, 'Name\nSpooled\n');
    expect(done['state']).toBe('JobComplete');
    expect(await leftoverUploads()).toEqual(before);

    for (const end of ['abort', 'delete'] as const) {
      const created = await call('/jobs/ingest', { method: 'POST', json: { object: 'Account', operation: 'insert' } });
      const id = created.json<{ id: string }>().id;
      expect((await call(`/jobs/ingest/${id}/batches`, { method: 'PUT', csv: 'Name\nNever\n' })).status).toBe(201);
      expect((await leftoverUploads()).length).toBe(before.length + 1);
      if (end === 'abort') {
        await call(`/jobs/ingest/${id}`, { method: 'PATCH', json: { state: 'Aborted' } });
      } else {
        await call(`/jobs/ingest/${id}`, { method: 'PATCH', json: { state: 'UploadComplete' } });
        // Deleted before its run started, or refused (400) because it already runs: either way the file goes.
        expect([204, 400]).toContain((await call(`/jobs/ingest/${id}`, { method: 'DELETE' })).status);
      }
      await vi.waitFor(async () => expect(await leftoverUploads()).toEqual(before), { timeout: scaled(5000) });
    }
  });
});

describe('ingest results and persistence', () => {
  it('echo the same values after a restart with dataDir (jobs themselves are not persisted: 404)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tandem-sf-results-'));
    try {
      const first = await startSalesforceEmulator({ dataDir });
      let jobId: string;
      let rendered: string;
      try {
        const call = api(first, await token(first));
        const job = await ingest(
          call,
          { object: 'Account', operation: 'upsert', externalIdFieldName: 'External_Id__c' },
          TRICKY_CSV,
        );
        jobId = job.id;
        rendered = (await call(`/jobs/ingest/${job.id}/successfulResults`)).text;
        expect(rendered).toBe(TRICKY_SUCCESS);
      } finally {
        await first.close();
      }
      const second = await startSalesforceEmulator({ dataDir });
      try {
        const call = api(second, await token(second));
        expect((await call(`/jobs/ingest/${jobId}/successfulResults`)).status).toBe(404);
        // The records the results echoed came back as they were: querying them renders the same values.
        const query = await call('/jobs/query', {
          method: 'POST',
          json: {
            operation: 'query',
            query:
              'SELECT Id, External_Id__c, Name, Description, AnnualRevenue, NumberOfEmployees, BillingCity FROM Account ORDER BY External_Id__c',
          },
        });
        const queryId = query.json<{ id: string }>().id;
        for (;;) {
          const info = (await call(`/jobs/query/${queryId}`)).json<{ state: string }>();
          if (info.state === 'JobComplete') break;
          await new Promise((r) => setTimeout(r, 10));
        }
        const page = (await call(`/jobs/query/${queryId}/results`)).text;
        const expected = TRICKY_SUCCESS.split('\n')
          .slice(1)
          .join('\n')
          .replace(/"(001Ex[0-9A-Za-z]{13})","true",/g, '"$1",');
        expect(page).toBe(
          `"Id","External_Id__c","Name","Description","AnnualRevenue","NumberOfEmployees","BillingCity"\n${expected}`,
        );
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('UploadSpool', () => {
  it('fails past its limit with fastify body-too-large and removes its file', async () => {
    const spool = new UploadSpool(10);
    const error = await pipeline(Readable.from([Buffer.from('12345'), Buffer.from('67890'), Buffer.from('x')]), spool)
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
    const name = spool.path.slice(tmpdir().length + 1);
    await vi.waitFor(async () => expect(await leftoverUploads()).not.toContain(name), { timeout: scaled(5000) });
  });
});
