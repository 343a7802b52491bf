import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import type { Readable } from 'node:stream';
import { IngestUpload, RecordTooLargeError } from '../../../src/connectors/salesforce/ingest-upload.js';
import {
  ReplayableUploadBody,
  UploadNotReplayableError,
} from '../../../src/connectors/salesforce/replayable-upload-body.js';

const COLUMNS = ['Ext__c', 'Name', 'Description', 'Phone', 'City__c'];
const cell = fc.oneof(
  fc.constant(''),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('#N/A', 'a,b', 'say "hi"', 'line1\nline2', 'crlf\r\nend', ' padded ', 'Zoë 東京', '""""'),
);
const row = fc.tuple(
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }),
  ...COLUMNS.slice(1).map(() => cell),
);

async function readAll(body: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Streams rows through as many uploads as `maxBytes` needs, as the sink does; returns each upload's bytes. */
async function uploadAll(rows: readonly string[][], maxBytes: number): Promise<Buffer[]> {
  const sent: Promise<Buffer>[] = [];
  const start = (): IngestUpload =>
    new IngestUpload({
      columns: COLUMNS,
      maxBytes,
      send: (body) => {
        const got = readAll(body.open());
        sent.push(got);
        return got.then(() => undefined);
      },
    });
  let upload = start();
  for (const r of rows) {
    if (!(await upload.add(r))) {
      await upload.finish();
      upload = start();
      expect(await upload.add(r)).toBe(true);
    }
  }
  await upload.finish();
  return Promise.all(sent);
}

describe('IngestUpload', () => {
  it('encodes RFC 4180 quoting, embedded newlines and UTF-8 under a fixed header; empty cells stay empty', async () => {
    const [csv] = await uploadAll(
      [
        ['k1', 'He said "hi", twice', '', '', ''],
        ['k2', '#N/A', 'two\nlines', '', 'Zoë'],
      ],
      1 << 20,
    );
    expect(csv!.toString('utf8')).toBe(
      'Ext__c,Name,Description,Phone,City__c\nk1,"He said ""hi"", twice",,,\nk2,#N/A,"two\nlines",,Zoë\n',
    );
  });

  it('round-trips through csv-parse: every row and value in order, each upload within the limit and with the header', async () => {
    // Hypothesis: grouping, exact counting near the limit and splitting never lose, move, invent or overflow.
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 200, max: 3000 }),
        async (rows, maxBytes) => {
          const uploads = await uploadAll(rows, maxBytes);
          const parsed: string[][] = [];
          for (const upload of uploads) {
            expect(upload.length).toBeLessThanOrEqual(maxBytes);
            const records = parse(upload, { bom: true });
            expect(records[0]).toEqual(COLUMNS);
            expect(records.length).toBeGreaterThan(1);
            parsed.push(...records.slice(1));
          }
          expect(parsed).toEqual(rows);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses a single record larger than an upload', async () => {
    const upload = new IngestUpload({
      columns: ['Name'],
      maxBytes: 50,
      send: (body) => readAll(body.open()).then(() => undefined),
    });
    await expect(upload.add(['x'.repeat(100)])).rejects.toThrow(RecordTooLargeError);
  });

  it('streams: bytes reach the request before the upload ends, and a consumer that stops reading holds the producer back', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let received = 0;
    const upload = new IngestUpload({
      columns: ['Ext__c', 'Name'],
      maxBytes: 100 << 20,
      send: async (body) => {
        const stream = body.open();
        for await (const chunk of stream) {
          received += (chunk as Buffer).length;
          if (received > 0) await gate;
        }
      },
    });
    let added = 0;
    const producing = (async () => {
      for (let i = 0; i < 200_000; i += 1) {
        await upload.add([`K-${i}`, `Account number ${i}`]);
        added += 1;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    // The consumer took one chunk and stalled: the producer waits instead of buffering 200k rows.
    expect(received).toBeGreaterThan(0);
    expect(added).toBeLessThan(10_000);
    release();
    await producing;
    await upload.finish();
    expect(received).toBeGreaterThan(200_000 * 20);
  });

  it('fails the producer with the request error when the PUT dies mid-stream', async () => {
    const upload = new IngestUpload({
      columns: ['Ext__c'],
      maxBytes: 100 << 20,
      send: async (body) => {
        const stream = body.open();
        for await (const _ of stream) throw Object.assign(new Error('socket hang up'), { code: 'UND_ERR_SOCKET' });
      },
    });
    await expect(
      (async () => {
        for (let i = 0; i < 100_000; i += 1) await upload.add([`K-${i}`]);
        await upload.finish();
      })(),
    ).rejects.toThrow(/socket hang up/);
  });
});

describe('ReplayableUploadBody', () => {
  it('replays everything written while within the kept bytes, including what is written after the replay', async () => {
    const body = new ReplayableUploadBody(1024);
    const first = body.open();
    await body.write(Buffer.from('abc'));
    first.destroy();
    const second = body.replay();
    const got = readAll(second);
    await body.write(Buffer.from('def'));
    body.end();
    expect((await got).toString()).toBe('abcdef');
  });

  it('cannot replay once more than the kept bytes were written', async () => {
    const body = new ReplayableUploadBody(4);
    const first = body.open();
    void readAll(first);
    await body.write(Buffer.from('abc'));
    await body.write(Buffer.from('def'));
    expect(() => body.replay()).toThrow(UploadNotReplayableError);
  });
});
