/** The json codec refuses numbers JavaScript would change, instead of rounding them silently (issue 11). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import { jsonCodec } from './json-codec.js';
import { inexactNumberIn } from './json-numbers.js';

describe('inexactNumberIn', () => {
  it.each([
    ['9007199254740993', '9007199254740993'],
    ['{"id":9007199254740993}', '9007199254740993'],
    ['[1,2,-9007199254740993]', '-9007199254740993'],
    ['{"id":18446744073709551615}', '18446744073709551615'],
    ['{"x":1e400}', '1e400'],
    ['{"x":-1.5E+999}', '-1.5E+999'],
    [`[${'9'.repeat(400)}]`, '9'.repeat(400)],
    ['{"ok":"9007199254740993","bad":12345678901234567}', '12345678901234567'],
  ])('finds the literal a double would change in %s', (text, literal) => {
    expect(inexactNumberIn(text)).toBe(literal);
  });

  it.each([
    '9007199254740991',
    '-9007199254740992',
    String(2 ** 60),
    '1152921504606846976',
    '10000000000000000',
    '1e300',
    '0.1000000000000000055511151231257827',
    '1e-400',
    '{"id":"9007199254740993"}',
    '{"9007199254740993":1}',
    '"\\"9007199254740993\\\\"',
    '[true,false,null,{"e":"1e999"}]',
  ])('passes %s', (text) => {
    expect(inexactNumberIn(text)).toBeUndefined();
  });

  it('passes everything JavaScript writes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.double({ noNaN: true, noDefaultInfinity: true })), (value) => {
        expect(inexactNumberIn(JSON.stringify(value))).toBeUndefined();
      }),
    );
  });

  it('refuses exactly the integers a double does not hold', () => {
    const big = fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n });
    fc.assert(
      fc.property(big, (n) => {
        const exact = BigInt(Number(n)) === n || String(Number(n)) === String(n);
        expect(inexactNumberIn(`{"n":${n}}`)).toBe(exact ? undefined : String(n));
      }),
    );
  });
});

describe('jsonCodec', () => {
  it('refuses an inexact integer with PAYLOAD_INVALID naming it, in decode and check', () => {
    const text = '{"id":9007199254740993}';
    const decoded = jsonCodec.decode(text);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.error.code).toBe(ErrorCode.PAYLOAD_INVALID);
    expect(decoded.error.message).toContain('9007199254740993');
    expect(jsonCodec.check(text)?.code).toBe(ErrorCode.PAYLOAD_INVALID);
  });

  it('keeps integers a double holds exactly', () => {
    expect(jsonCodec.decode(`{"a":${2 ** 60},"b":9007199254740991}`)).toEqual({ ok: true, value: { a: 2 ** 60, b: 9007199254740991 } });
  });
});
