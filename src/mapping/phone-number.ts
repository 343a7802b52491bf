import { getCountries, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * Phone number normalisation for the `phone` transform, on libphonenumber-js (Google's libphonenumber metadata: every
 * country's trunk prefix, international prefix and number lengths). A value that does not read as a phone number
 * (letters, an extension, a length the country's numbering plan does not have) is returned trimmed and otherwise
 * unchanged, so the target system can still accept or reject it.
 */

export interface PhoneCountry {
  /** The country calling code, without `+` (`1`, `44`). */
  readonly callingCode: string;
}

/** Countries `defaultCountry` may name (ISO 3166-1 alpha-2): every country libphonenumber-js has metadata for. */
export const PHONE_COUNTRIES: Readonly<Record<string, PhoneCountry>> = Object.freeze(
  Object.fromEntries(getCountries().map((code) => [code, Object.freeze({ callingCode: getCountryCallingCode(code) })])),
);

/** Countries whose numbers `us-national` can format: the North American Numbering Plan (calling code 1). */
export const NANP_COUNTRIES: readonly string[] = Object.freeze(
  Object.keys(PHONE_COUNTRIES).filter((code) => PHONE_COUNTRIES[code]?.callingCode === '1'),
);

export type PhoneFormat = 'e164' | 'us-national';

// Separators people type between digit groups; anything else (letters, `x` for an extension, `#`) is not a plain number.
const PLAIN_NUMBER = /^\+?[\d\s().\-/]+$/;

function isPhoneCountry(code: string): code is CountryCode {
  return Object.hasOwn(PHONE_COUNTRIES, code);
}

/**
 * The number in E.164 (`+14155550100`) or null when `text` does not read as one: not a plain number, or a length the
 * numbering plan of its country does not have (libphonenumber's "possible number" check; the number's range is not
 * checked, so new or fictional ranges pass and the target system decides).
 *
 * @example
 * ```ts
 * toE164('(415) 555-0100', 'US') // '+14155550100'
 * toE164('020 7946 0958', 'GB')  // '+442079460958'
 * ```
 */
export function toE164(text: string, defaultCountry: string): string | null {
  const trimmed = text.trim();
  if (!isPhoneCountry(defaultCountry) || !PLAIN_NUMBER.test(trimmed)) return null;
  const parsed = parsePhoneNumberFromString(trimmed, defaultCountry);
  if (parsed === undefined || !parsed.isPossible()) return null;
  // Only a number that reads back as itself: `00000000000` in GB gives +440000000000, which reads as +44000000000
  // (a national prefix inside the international form); such a value is left as typed, so formatting stays idempotent.
  const again = parsePhoneNumberFromString(parsed.number);
  if (again === undefined || again.number !== parsed.number) return null;
  return parsed.number;
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
