import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BACKOFF_DEFAULTS, backoffDelay, parseRetryAfter } from '../../../src/connectors/salesforce/backoff.js';
import { ApiLimits, callsLeftAboveReserve, parseLimitInfo } from '../../../src/connectors/salesforce/api-limits.js';
import { fromCsvValue, toCsvValue } from '../../../src/connectors/salesforce/field-types.js';
import { PendingRecords } from '../../../src/connectors/salesforce/pending-records.js';
import {
  INGEST_JOB_STATES,
  INGEST_TRANSITIONS,
  RESUME_ACTIONS,
  isTerminalState,
  pollDelay,
} from '../../../src/connectors/salesforce/bulk-job-state.js';
import { parseSalesforceErrorBody } from '../../../src/connectors/salesforce/errors.js';
import { QuotaExceededError } from '../../../src/util/errors.js';

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, ignores garbage', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Mon, 01 Jan 2023 00:00:10 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('stays within [cap/2, cap] and the cap never exceeds maxDelayMs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (retry, r) => {
        const cap = Math.min(BACKOFF_DEFAULTS.maxDelayMs, BACKOFF_DEFAULTS.initialDelayMs * 2 ** retry);
        const d = backoffDelay(retry, BACKOFF_DEFAULTS, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(cap / 2));
        expect(d).toBeLessThanOrEqual(cap);
      }),
    );
  });
});

describe('Sforce-Limit-Info and the reserve', () => {
  it('parses api-usage with or without per-app usage', () => {
    expect(parseLimitInfo('api-usage=18/5000')).toEqual({ used: 18, max: 5000 });
    expect(parseLimitInfo('api-usage=25/5000; per-app-api-usage=17/250(appName=sample)')).toEqual({
      used: 25,
      max: 5000,
    });
    expect(parseLimitInfo('per-app-api-usage=17/250(appName=x)')).toBeUndefined();
    expect(parseLimitInfo(undefined)).toBeUndefined();
  });

  it('refuses calls once the remaining budget reaches the reserve', () => {
    const limits = new ApiLimits({ reserveShare: 0.2 });
    limits.assertCanCall('GET /x');
    limits.observe({ used: 799, max: 1000 });
    expect(callsLeftAboveReserve({ used: 799, max: 1000 }, 0.2)).toBe(1);
    limits.assertCanCall('GET /x');
    limits.observe({ used: 800, max: 1000 });
    expect(() => limits.assertCanCall('GET /x')).toThrow(QuotaExceededError);
    expect(() => new ApiLimits({ reserveShare: 1.5 })).toThrow(RangeError);
  });
});

describe('field value conversion', () => {
  it('types CSV text by describe type', () => {
    expect(fromCsvValue('boolean', 'true')).toBe(true);
    expect(fromCsvValue('boolean', 'false')).toBe(false);
    expect(fromCsvValue('double', '9.12260031E8')).toBe(912260031);
    expect(fromCsvValue('int', '42')).toBe(42);
    expect(fromCsvValue('currency', '12.5')).toBe(12.5);
    expect(fromCsvValue('datetime', '2024-01-15T10:30:00.000+0000')).toBe('2024-01-15T10:30:00.000000Z');
    expect(fromCsvValue('date', '2024-01-15')).toBe('2024-01-15');
    expect(fromCsvValue('string', '')).toBeNull();
    expect(fromCsvValue('string', 'x')).toBe('x');
  });

  it('sends null (and empty text) as #N/A so it is set, not left alone', () => {
    expect(toCsvValue(null)).toBe('#N/A');
    expect(toCsvValue('')).toBe('#N/A');
    expect(toCsvValue(true)).toBe('true');
    expect(toCsvValue(1.5)).toBe('1.5');
    expect(() => toCsvValue(Number.NaN)).toThrow(TypeError);
  });
});

describe('PendingRecords', () => {
  it('settles each record once, with its key, and drains exactly the unsettled ones', () => {
    // Hypothesis: with duplicates and Id->key mappings, every added record is either settled or drained, once.
    const keyFor = (n: number): string => (n % 2 === 0 ? `k${n}` : `m${n}`);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 25 }), { maxLength: 60 }),
        (adds, settles) => {
          const p = new PendingRecords();
          const expected = new Map<number, number>();
          for (const n of adds) {
            p.add(`m${n}`, keyFor(n));
            expected.set(n, (expected.get(n) ?? 0) + 1);
          }
          let settled = 0;
          for (const n of settles) {
            const key = p.settle(`m${n}`);
            if ((expected.get(n) ?? 0) > 0) {
              expect(key).toBe(keyFor(n));
              expected.set(n, expected.get(n)! - 1);
              settled += 1;
            } else {
              expect(key).toBeUndefined();
            }
          }
          const drained = [...p.drain()];
          for (const d of drained) expect(d.key).toBe(keyFor(Number(d.match.slice(1))));
          expect(drained).toHaveLength([...expected.values()].reduce((a, b) => a + b, 0));
          expect(settled + drained.length).toBe(adds.length);
        },
      ),
    );
  });
});

describe('job state tables', () => {
  it('has a resume action for every state and terminal states have no way out', () => {
    for (const state of INGEST_JOB_STATES) {
      expect(RESUME_ACTIONS[state]).toBeDefined();
      expect(isTerminalState(state)).toBe(['JobComplete', 'Failed', 'Aborted'].includes(state));
      for (const next of INGEST_TRANSITIONS[state]) expect(INGEST_JOB_STATES).toContain(next);
    }
    expect(RESUME_ACTIONS.Open).toBe('abort');
    expect(RESUME_ACTIONS.NotFound).toBe('abandon');
  });

  it('polls with growing, capped intervals', () => {
    const delays = Array.from({ length: 12 }, (_, n) => pollDelay(n, 1000, 20_000));
    for (let i = 1; i < delays.length; i += 1) expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(Math.max(...delays)).toBe(20_000);
  });
});

describe('parseSalesforceErrorBody', () => {
  it('reads the JSON array shape and falls back to HTTP_<status>', () => {
    expect(parseSalesforceErrorBody(404, '[{"errorCode":"NOT_FOUND","message":"gone"}]')).toEqual({
      errorCode: 'NOT_FOUND',
      message: 'gone',
    });
    expect(parseSalesforceErrorBody(502, '<html>bad gateway</html>')).toEqual({
      errorCode: 'HTTP_502',
      message: '<html>bad gateway</html>',
    });
  });
});
