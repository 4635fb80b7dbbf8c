// Exact money: integer micro-units held as bigint, decimal strings at the edges, exact rationals for rates.
import { MeteringError } from './metering-error.ts';

/** Amount in micro-units of a currency (1 USD = 1_000_000n). */
export type Micro = bigint;

/** Micro-units per currency unit. */
export const MICRO_PER_UNIT = 1_000_000n;

const moneyPattern = /^(-?)(\d+)(?:\.(\d{1,6}))?$/;

/**
 * Parses a decimal currency string (`"25.00"`, `"0.001234"`, `"-3"`) into micro-units, exactly.
 * Rejects anything else: exponents, more than 6 decimals, spaces, a bare `"."`, thousands separators.
 */
export function parseMoney(text: string): Micro {
  const match = moneyPattern.exec(text);
  if (!match) throw new MeteringError(`malformed money amount ${JSON.stringify(text)}: expected digits with at most 6 decimals`);
  const [, sign = '', whole = '0', fraction = ''] = match;
  const micro = BigInt(whole) * MICRO_PER_UNIT + BigInt(fraction.padEnd(6, '0'));
  return sign === '-' ? -micro : micro;
}

/** Formats micro-units as a decimal string with exactly 6 decimals: 1234n -> `"0.001234"`, -25_000_000n -> `"-25.000000"`. */
export function formatMoney(amount: Micro): string {
  const negative = amount < 0n;
  const magnitude = negative ? -amount : amount;
  const whole = magnitude / MICRO_PER_UNIT;
  const fraction = (magnitude % MICRO_PER_UNIT).toString().padStart(6, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/**
 * Converts a price or amount given as a JS number (as YAML hands them over: 5, 0.5, 1.25) into micro-units.
 * The number's shortest round-trip decimal form is used, so 0.1 means exactly 0.100000; a number that needs more
 * than 6 decimals (or an exponent) is rejected instead of rounded, since the catalog would then not say what it means.
 */
export function numberToMicro(value: number): Micro {
  if (!Number.isFinite(value)) throw new MeteringError(`amount ${value} is not a finite number`);
  return parseMoney(String(value));
}

/** An exact non-negative rational number. */
export interface Ratio {
  numerator: bigint;
  denominator: bigint;
}

const ratioPattern = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * Converts a non-negative rate (`"0.2"`, `0.2`, `"1.5e-3"`) into an exact ratio. A number is read through its
 * shortest round-trip decimal form (0.2 -> 2/10, not the binary double nearest 0.2), so `rate: 0.20` in YAML
 * means exactly one fifth.
 */
export function parseRatio(value: string | number): Ratio {
  const text = typeof value === 'number' ? String(value) : value;
  const match = ratioPattern.exec(text);
  if (!match) throw new MeteringError(`malformed rate ${JSON.stringify(text)}: expected a non-negative decimal`);
  const [, whole = '0', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText) - fraction.length;
  if (Math.abs(exponent) > 64) throw new MeteringError(`rate ${JSON.stringify(text)} is out of range`);
  const digits = BigInt(whole + fraction);
  return exponent >= 0 ? { numerator: digits * 10n ** BigInt(exponent), denominator: 1n } : { numerator: digits, denominator: 10n ** BigInt(-exponent) };
}

/**
 * Divides and rounds half up (half away from zero for the non-negative amounts metering posts): the one rounding
 * rule of the ledger, so that every replica and every replay computes the same micro-unit.
 */
export function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new MeteringError('division by a non-positive denominator');
  if (numerator < 0n) return -divideRoundHalfUp(-numerator, denominator);
  return (2n * numerator + denominator) / (2n * denominator);
}

/** `amount × ratio`, rounded half up to the micro-unit. */
export function multiplyByRatio(amount: Micro, ratio: Ratio): Micro {
  return divideRoundHalfUp(amount * ratio.numerator, ratio.denominator);
}
