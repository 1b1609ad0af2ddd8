import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import * as node from './base64.js';

import { withoutBuffer } from './without-buffer.test-support.js';

/** The module as a browser loads it: no Buffer, so atob and btoa. */
const web = await withoutBuffer(() => import('./base64.js'));

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.each([
  ['Node (Buffer)', node],
  ['browsers (atob and btoa)', web],
])('base64 in %s', (name, { fromBase64, toBase64 }) => {
  it('takes the path of its platform', () => {
    const btoa = vi.spyOn(globalThis, 'btoa');
    const atob = vi.spyOn(globalThis, 'atob');
    try {
      expect(fromBase64(toBase64(new Uint8Array([1, 2, 3])))).toStrictEqual(new Uint8Array([1, 2, 3]));
      // Browsers: btoa to encode, atob to decode, and btoa again to check the text is canonical.
      const calls = name.startsWith('Node') ? [0, 0] : [2, 1];
      expect([btoa.mock.calls.length, atob.mock.calls.length]).toStrictEqual(calls);
    } finally {
      btoa.mockRestore();
      atob.mockRestore();
    }
  });

  it('decodes into a Uint8Array of its own, not a view of a shared pool', () => {
    const bytes = fromBase64('AQID');
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    expect([bytes.byteOffset, bytes.buffer.byteLength]).toStrictEqual([0, 3]);
  });

  it('round-trips a megabyte', () => {
    const big = new Uint8Array(1 << 20).map((_, i) => (i * 2654435761) >>> 24);
    const text = toBase64(big);
    expect(text).toBe(Buffer.from(big).toString('base64'));
    expect(Buffer.from(fromBase64(text)).equals(Buffer.from(big))).toBe(true);
  });

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
    expect(() => fromBase64(text)).toThrow(TypeError);
  });

  // fromBase64 documents that it throws on anything that is not canonical. 'Zh==' and 'Zm9=' carry
  // non-zero bits in the padding; the canonical forms are 'Zg==' and 'Zm8='.
  it('fromBase64 throws a TypeError on non-canonical padding bits', () => {
    expect(() => fromBase64('Zh==')).toThrow(TypeError);
    expect(() => fromBase64('Zm9=')).toThrow(TypeError);
  });

  it('fromBase64 throws only TypeErrors on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('A', 'z', '0', '+', '/', '=', '-', ' ') })),
        (text) => {
          try {
            fromBase64(text);
          } catch (error) {
            expect(error).toBeInstanceOf(TypeError);
          }
        },
      ),
    );
  });
});

it('browsers (atob, then the re-encoding check) accept exactly what Node (the checks of the text) accepts, with the same bytes', () => {
  const outcome = (decode: (text: string) => Uint8Array, text: string): Uint8Array | 'refused' => {
    try {
      return decode(text);
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      return 'refused';
    }
  };
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: fc.constantFrom('A', 'Q', 'g', 'w', 'h', 'z', '0', '9', '+', '/', '=', '-', '_', ' ', '\n') }),
        fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('base64')),
        fc.string(),
      ),
      (text) => {
        expect(outcome(web.fromBase64, text)).toStrictEqual(outcome(node.fromBase64, text));
      },
    ),
    { numRuns: 2000 },
  );
});
