import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldType } from '../../../src/config/tandem-config.js';
import { normalizeValue } from '../../../src/mapping/normalize-value.js';
import { formatPhone, toE164 } from '../../../src/mapping/phone-number.js';

const TYPES: readonly FieldType[] = ['string', 'number', 'integer', 'boolean', 'date', 'datetime'];

describe('normalizeValue', () => {
  it('reads the same number from Salesforce and Postgres text', () => {
    expect(normalizeValue('number', '9.12260031E8')).toBe(912260031);
    expect(normalizeValue('number', '912260031.00')).toBe(912260031);
    expect(normalizeValue('number', ' -0 ')).toBe(0);
    expect(Object.is(normalizeValue('number', -0), 0)).toBe(true);
    expect(normalizeValue('integer', '250')).toBe(250);
    expect(normalizeValue('integer', '2.50E2')).toBe(250);
  });

  it('passes through what does not read as the type (the target side rejects it per record)', () => {
    expect(normalizeValue('number', '0x10')).toBe('0x10');
    expect(normalizeValue('number', 'Infinity')).toBe('Infinity');
    expect(normalizeValue('integer', '2.5')).toBe('2.5');
    expect(normalizeValue('boolean', 'maybe')).toBe('maybe');
    expect(normalizeValue('date', '2024-02-30')).toBe('2024-02-30');
    expect(normalizeValue('datetime', 'yesterday')).toBe('yesterday');
  });

  it('reads booleans, dates and datetimes from either side', () => {
    for (const t of ['true', 't', 'TRUE', 'yes', '1', 1, true]) expect(normalizeValue('boolean', t)).toBe(true);
    for (const f of ['false', 'f', 'No', '0', 0, false]) expect(normalizeValue('boolean', f)).toBe(false);
    expect(normalizeValue('date', '2024-03-01')).toBe('2024-03-01');
    expect(normalizeValue('date', '2024-03-01T00:00:00.000Z')).toBe('2024-03-01');
    expect(normalizeValue('datetime', '2022-01-02T21:33:43.000+0000')).toBe('2022-01-02T21:33:43.000000Z');
    expect(normalizeValue('datetime', '2022-01-02 22:33:43.123456+01')).toBe('2022-01-02T21:33:43.123456Z');
  });

  it("turns '' and null into null for every type (Salesforce CSV cannot tell them apart)", () => {
    for (const type of TYPES) {
      expect(normalizeValue(type, '')).toBeNull();
      expect(normalizeValue(type, null)).toBeNull();
    }
    expect(normalizeValue('string', 42)).toBe('42');
    expect(normalizeValue('string', ' x ')).toBe(' x '); // only the trim transform trims
  });

  it('is idempotent for every type and value (property)', () => {
    const value = fc.oneof(
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc
        .date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => n.toExponential()),
    );
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), value, (type, v) => {
        const once = normalizeValue(type, v);
        expect(normalizeValue(type, once)).toEqual(once);
      }),
    );
  });
});

describe('phone numbers', () => {
  it('formats North American and European numbers', () => {
    expect(toE164('(415) 555-0100', 'US')).toBe('+14155550100');
    expect(toE164('1-415-555-0100', 'US')).toBe('+14155550100');
    expect(toE164('011 44 20 7946 0958', 'US')).toBe('+442079460958');
    expect(toE164('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(toE164('0044 20 7946 0958', 'DE')).toBe('+442079460958');
    expect(formatPhone('+1 415.555.0100', 'us-national', 'US')).toBe('(415) 555-0100');
    expect(formatPhone('+44 20 7946 0958', 'us-national', 'US')).toBe('+442079460958');
  });

  it('leaves what is not a plain number alone, trimmed', () => {
    expect(formatPhone(' 415-555-0100 ext 12 ', 'e164', 'US')).toBe('415-555-0100 ext 12');
    expect(formatPhone('555-0100', 'e164', 'US')).toBe('555-0100');
  });

  it("follows each country's numbering plan (libphonenumber-js metadata)", () => {
    // Italy keeps the leading 0 of its area codes; Japan drops its trunk 0; neither was in the hand-written table.
    expect(toE164('02 1234 5678', 'IT')).toBe('+390212345678');
    expect(toE164('03-1234-5678', 'JP')).toBe('+81312345678');
    expect(toE164('(876) 555-0100', 'JM')).toBe('+18765550100');
    // A length the country's plan does not have is not a number: left as typed.
    expect(formatPhone('1234 5678', 'e164', 'GB')).toBe('1234 5678');
    expect(toE164('(415) 555-0100', 'XX')).toBeNull();
  });

  it('is idempotent and reads its own output the same way (property)', () => {
    const digits = fc.array(fc.constantFrom(...'0123456789'), { minLength: 0, maxLength: 16 }).map((d) => d.join(''));
    const typed = fc
      .tuple(fc.constantFrom('', '+', '00', '011', '1 '), digits, fc.constantFrom('', ' ', '-', '.'))
      .map(([prefix, d, sep]) => prefix + d.replace(/(\d{3})(?=\d)/g, `$1${sep}`));
    const setting = fc.constantFrom(
      ['e164', 'US'],
      ['e164', 'GB'],
      ['e164', 'IT'],
      ['e164', 'JP'],
      ['us-national', 'US'],
      ['us-national', 'CA'],
    ) as fc.Arbitrary<['e164' | 'us-national', string]>;
    fc.assert(
      fc.property(fc.oneof(typed, fc.string()), setting, (text, [format, country]) => {
        const once = formatPhone(text, format, country);
        expect(formatPhone(once, format, country)).toBe(once);
      }),
      { numRuns: 500, examples: [['00000000000', ['e164', 'GB']]] },
    );
  });
});
