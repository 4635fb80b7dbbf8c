import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MeteringError } from './metering-error.ts';
import { divideRoundHalfUp, formatMoney, numberToMicro, parseMoney, parseRatio } from './money.ts';

describe('parseMoney', () => {
  const cases: [string, string, bigint][] = [
    ['whole units with cents', '25.00', 25_000_000n],
    ['micro-units', '0.001234', 1_234n],
    ['zero', '0', 0n],
    ['no decimals', '7', 7_000_000n],
    ['one decimal', '0.5', 500_000n],
    ['negative', '-3.5', -3_500_000n],
    ['large', '1000000000.00', 1_000_000_000_000_000n],
  ];
  for (const [name, text, expected] of cases) it(name, () => assert.equal(parseMoney(text), expected));

  const malformed: [string, string][] = [
    ['empty', ''],
    ['trailing dot', '1.'],
    ['leading dot', '.5'],
    ['seven decimals', '1.0000001'],
    ['exponent', '1e3'],
    ['spaces', ' 1'],
    ['thousands separator', '1,000'],
    ['letters', 'abc'],
    ['plus sign', '+1'],
    ['hex', '0x10'],
    ['minus only', '-'],
  ];
  for (const [name, text] of malformed) it(`rejects ${name}`, () => assert.throws(() => parseMoney(text), MeteringError));
});

describe('formatMoney', () => {
  const cases: [string, bigint, string][] = [
    ['micro-units', 1_234n, '0.001234'],
    ['whole units', 25_000_000n, '25.000000'],
    ['zero', 0n, '0.000000'],
    ['negative micro', -1n, '-0.000001'],
    ['beyond Number precision', 10n ** 30n + 1n, '1000000000000000000000000.000001'],
  ];
  for (const [name, amount, expected] of cases) it(name, () => assert.equal(formatMoney(amount), expected));

  it('round-trips with parseMoney', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), (amount) => parseMoney(formatMoney(amount)) === amount),
      { numRuns: 200 },
    );
  });
});

describe('numberToMicro', () => {
  const cases: [string, number, bigint][] = [
    ['5.00', 5, 5_000_000n],
    ['0.50', 0.5, 500_000n],
    ['0.1 is exactly a tenth', 0.1, 100_000n],
    ['six decimals', 0.000001, 1n],
  ];
  for (const [name, value, expected] of cases) it(name, () => assert.equal(numberToMicro(value), expected));
  for (const [name, value] of [
    ['seven decimals', 0.1234567],
    ['exponent form', 1e-7],
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
  ] as const) {
    it(`rejects ${name}`, () => assert.throws(() => numberToMicro(value), MeteringError));
  }
});

describe('parseRatio', () => {
  const cases: [string, string | number, bigint, bigint][] = [
    ['number 0.2 is exactly one fifth', 0.2, 2n, 10n],
    ['decimal string', '0.25', 25n, 100n],
    ['one', 1, 1n, 1n],
    ['exponent', '1.5e-3', 15n, 10_000n],
    ['positive exponent', '2e2', 200n, 1n],
  ];
  for (const [name, value, numerator, denominator] of cases) {
    it(name, () => assert.deepEqual(parseRatio(value), { numerator, denominator }));
  }
  for (const bad of ['-0.1', 'abc', '', '.5', '1e999']) it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseRatio(bad), MeteringError));
});

describe('divideRoundHalfUp', () => {
  const cases: [string, bigint, bigint, bigint][] = [
    ['exact', 6n, 3n, 2n],
    ['half rounds up', 5n, 2n, 3n],
    ['another half', 3n, 2n, 2n],
    ['below half rounds down', 1n, 3n, 0n],
    ['above half rounds up', 2n, 3n, 1n],
    ['negative half away from zero', -5n, 2n, -3n],
  ];
  for (const [name, numerator, denominator, expected] of cases) it(name, () => assert.equal(divideRoundHalfUp(numerator, denominator), expected));
  it('rejects a zero denominator', () => assert.throws(() => divideRoundHalfUp(1n, 0n), MeteringError));
});
