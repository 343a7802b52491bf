/**
 * Phone number normalisation for the `phone` transform, without a phone library: enough for the numbering plans
 * listed in PHONE_COUNTRIES (the North American plan in full; elsewhere the trunk `0` and the `00` international
 * prefix). A value that does not read as a phone number (letters, an extension, too few digits) is returned trimmed
 * and otherwise unchanged, so the target system can still accept or reject it.
 */

export interface PhoneCountry {
  readonly callingCode: string;
  /** Dialled before a national number inside the country (`0` in most of Europe, `1` in North America, '' none). */
  readonly trunkPrefix: string;
  /** Dialled before a calling code to leave the country. */
  readonly internationalPrefix: string;
}

const NANP: PhoneCountry = { callingCode: '1', trunkPrefix: '1', internationalPrefix: '011' };
const europe = (callingCode: string, trunkPrefix = '0'): PhoneCountry => ({
  callingCode,
  trunkPrefix,
  internationalPrefix: '00',
});

/** Countries `defaultCountry` may name (ISO 3166-1 alpha-2). */
export const PHONE_COUNTRIES: Readonly<Record<string, PhoneCountry>> = Object.freeze({
  US: NANP,
  CA: NANP,
  PR: NANP,
  GB: europe('44'),
  IE: europe('353'),
  DE: europe('49'),
  AT: europe('43'),
  CH: europe('41'),
  FR: europe('33'),
  BE: europe('32'),
  NL: europe('31'),
  LU: europe('352', ''),
  IT: europe('39', ''),
  ES: europe('34', ''),
  PT: europe('351', ''),
  SE: europe('46'),
  NO: europe('47', ''),
  DK: europe('45', ''),
  FI: europe('358'),
  PL: europe('48', ''),
  IN: europe('91'),
  MX: europe('52', ''),
  NZ: europe('64'),
});

/** Countries whose numbers `us-national` can format: the North American Numbering Plan. */
export const NANP_COUNTRIES: readonly string[] = Object.freeze(['US', 'CA', 'PR']);

export type PhoneFormat = 'e164' | 'us-national';

// Separators people type between digit groups; anything else (letters, `x` for an extension, `#`) is not a plain number.
const PLAIN_NUMBER = /^\+?[\d\s().\-/]+$/;

/**
 * The number in E.164 (`+14155550100`) or null when `text` does not read as one.
 *
 * @example
 * ```ts
 * toE164('(415) 555-0100', 'US') // '+14155550100'
 * toE164('020 7946 0958', 'GB')  // '+442079460958'
 * ```
 */
export function toE164(text: string, defaultCountry: string): string | null {
  const country = PHONE_COUNTRIES[defaultCountry];
  const trimmed = text.trim();
  if (country === undefined || !PLAIN_NUMBER.test(trimmed)) return null;
  const international = trimmed.startsWith('+');
  let digits = trimmed.replace(/\D/g, '');
  if (!international) {
    if (digits.startsWith(country.internationalPrefix)) {
      digits = digits.slice(country.internationalPrefix.length);
    } else if (country === NANP) {
      if (digits.length === 11 && digits.startsWith('1')) digits = digits.slice(1);
      if (digits.length !== 10) return null;
      digits = `1${digits}`;
    } else {
      if (country.trunkPrefix !== '' && digits.startsWith(country.trunkPrefix))
        digits = digits.slice(country.trunkPrefix.length);
      digits = `${country.callingCode}${digits}`;
    }
  }
  // E.164: at most 15 digits; 8 is the shortest complete number we accept (shorter ones are extensions, typos).
  if (digits.length < 8 || digits.length > 15 || digits.startsWith('0')) return null;
  if (digits.startsWith('1') && digits.length !== 11) return null;
  return `+${digits}`;
}

/**
 * Normalises a phone number to `format`; returns `text` trimmed when it is not a number it can read. Idempotent.
 * `us-national` formats North American numbers as `(415) 555-0100` and every other number as E.164.
 */
export function formatPhone(text: string, format: PhoneFormat, defaultCountry: string): string {
  const e164 = toE164(text, defaultCountry);
  if (e164 === null) return text.trim();
  if (format === 'us-national' && e164.length === 12 && e164.startsWith('+1')) {
    return `(${e164.slice(2, 5)}) ${e164.slice(5, 8)}-${e164.slice(8)}`;
  }
  return e164;
}
