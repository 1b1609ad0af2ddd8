import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from './base64.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function thrownBy(f: () => void): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('base64', () => {
  it.each([
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ])('RFC 4648 test vector %j ↔ %j', (plain, encoded) => {
    expect(toBase64(ascii(plain))).toBe(encoded);
    expect(fromBase64(encoded)).toStrictEqual(ascii(plain));
  });

  it('uses the standard alphabet with + and /', () => {
    expect(toBase64(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('+/+/');
    expect(fromBase64('+/+/')).toStrictEqual(new Uint8Array([0xfb, 0xff, 0xbf]));
  });

  it('fromBase64(toBase64(bytes)) equals bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const back = fromBase64(toBase64(bytes));
        expect(Object.getPrototypeOf(back)).toBe(Uint8Array.prototype);
        expect(back).toStrictEqual(bytes);
      }),
    );
  });

  it('toBase64 agrees with Buffer, and fromBase64 reads what Buffer writes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const expected = Buffer.from(bytes).toString('base64');
        expect(toBase64(bytes)).toBe(expected);
        expect(Array.from(fromBase64(expected))).toStrictEqual(Array.from(bytes));
      }),
    );
  });

  it('encodes only the bytes of a view', () => {
    const whole = new Uint8Array([1, 2, 3, 4, 5, 6]);
    expect(toBase64(whole.subarray(2, 5))).toBe(Buffer.from([3, 4, 5]).toString('base64'));
  });

  it.each([
    ['length 1', 'Z'],
    ['length 2', 'Zg'],
    ['length 3', 'Zg='],
    ['length 5', 'Zm9vY'],
    ['missing padding', 'Zm8'],
    ['invalid character', 'Zm9*'],
    ['space', 'Zm 9'],
    ['line feed', 'Zm9v\nZm9v'],
    ['URL-safe alphabet', 'Zm-_'],
    ['non-ASCII character', 'Zm9é'],
    ['NUL', 'Zm9\u0000'],
    ['= in the middle', 'Zg==Zm9v'],
    ['= inside a group', 'Z=9v'],
    ['= third but not fourth', 'Zm=v'],
    ['three =', 'Z==='],
    ['only padding', '===='],
  ])('fromBase64 throws a TypeError: %s', (_label, text) => {
    expect(thrownBy(() => fromBase64(text))).toBeInstanceOf(TypeError);
  });

  // fromBase64 documents that it throws on anything that is not canonical. 'Zh==' and 'Zm9=' carry
  // non-zero bits in the padding; the canonical forms are 'Zg==' and 'Zm8='.
  it('fromBase64 throws a TypeError on non-canonical padding bits', () => {
    expect([thrownBy(() => fromBase64('Zh==')), thrownBy(() => fromBase64('Zm9='))].map((e) => e instanceof TypeError)).toStrictEqual([
      true,
      true,
    ]);
  });

  it('fromBase64 throws only TypeErrors on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('A', 'z', '0', '+', '/', '=', '-', ' ') })),
        (text) => {
          const error = thrownBy(() => fromBase64(text));
          if (error !== undefined) expect(error).toBeInstanceOf(TypeError);
        },
      ),
    );
  });
});
