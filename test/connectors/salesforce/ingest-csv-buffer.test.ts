import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { IngestCsvBuffer, RecordTooLargeError, type IngestRow } from '../../../src/connectors/salesforce/ingest-csv-buffer.js';

const FIELDS = ['Ext__c', 'Name', 'Description', 'Phone', 'City__c'];
const cell = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('#N/A', 'a,b', 'say "hi"', 'line1\nline2', 'crlf\r\nend', ' padded ', 'Zoë 東京'),
);
const row = fc
  .dictionary(fc.constantFrom(...FIELDS), cell, { minKeys: 1, maxKeys: FIELDS.length })
  .map((r): IngestRow => r);

/** Uploads everything through buffers of `maxBytes`, returning each upload's bytes. */
function uploadAll(rows: readonly IngestRow[], maxBytes: number): Buffer[] {
  const buf = new IngestCsvBuffer(maxBytes);
  const uploads: Buffer[] = [];
  for (const r of rows) {
    if (!buf.add(r)) {
      uploads.push(Buffer.concat(buf.take()));
      expect(buf.add(r)).toBe(true);
    }
  }
  if (buf.recordCount > 0) uploads.push(Buffer.concat(buf.take()));
  return uploads;
}

describe('IngestCsvBuffer', () => {
  it('encodes RFC 4180 quoting, embedded newlines and UTF-8, with a union header', () => {
    const buf = new IngestCsvBuffer(1 << 20);
    buf.add({ Ext__c: 'k1', Name: 'He said "hi", twice' });
    buf.add({ Ext__c: 'k2', Description: 'two\nlines', Name: '#N/A' });
    const text = Buffer.concat(buf.take()).toString('utf8');
    expect(text).toBe('Ext__c,Name,Description\nk1,"He said ""hi"", twice",\nk2,#N/A,"two\nlines"\n');
  });

  it('round-trips through csv-parse: every row, every value, absent fields empty, uploads within the limit', () => {
    // Hypothesis: splitting and padding never lose, move or invent a value, whatever the field sets and the limit.
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 40 }), fc.integer({ min: 300, max: 4000 }), (rows, maxBytes) => {
        const uploads = uploadAll(rows, maxBytes);
        const parsed: Record<string, string>[] = [];
        for (const upload of uploads) {
          expect(upload.length).toBeLessThanOrEqual(maxBytes);
          const records = parse(upload, { columns: true, bom: true }) as Record<string, string>[];
          const header = Object.keys(records[0] ?? {});
          expect(new Set(header).size).toBe(header.length);
          parsed.push(...records);
        }
        expect(parsed).toHaveLength(rows.length);
        rows.forEach((r, i) => {
          const got = parsed[i]!;
          for (const [k, v] of Object.entries(got)) expect(v).toBe(r[k] ?? '');
          for (const k of Object.keys(r)) expect(k in got).toBe(true);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a single record larger than an upload', () => {
    const buf = new IngestCsvBuffer(50);
    expect(() => buf.add({ Name: 'x'.repeat(100) })).toThrow(RecordTooLargeError);
  });

  it('reports its size exactly', () => {
    const buf = new IngestCsvBuffer(1 << 20);
    buf.add({ A: '1' });
    buf.add({ A: '2', B: 'two' });
    const expected = buf.byteLength;
    expect(Buffer.concat(buf.take()).length).toBe(expected);
  });
});
