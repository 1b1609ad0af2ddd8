import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloseCode, clampCloseReason, isAuthClose, isRetryableClose } from './close-codes.js';

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

describe('isAuthClose', () => {
  it.each([
    [4099, false],
    [CloseCode.AUTH_INVALID, true],
    [CloseCode.TOKEN_EXPIRED, true],
    [CloseCode.AUTH_REVOKED, true],
    [4199, true],
    [4200, false],
    [1000, false],
  ])('%i → %s', (code, expected) => {
    expect(isAuthClose(code)).toBe(expected);
  });
});

describe('isRetryableClose', () => {
  const EXPECTED: Record<keyof typeof CloseCode, boolean> = {
    NORMAL: false,
    GOING_AWAY: true,
    ABNORMAL: true,
    MESSAGE_TOO_BIG: false,
    INTERNAL_ERROR: true,
    SERVICE_RESTART: true,
    TRY_AGAIN_LATER: true,
    PROTOCOL_VIOLATION: false,
    CODEC_UNSUPPORTED: false,
    HELLO_TIMEOUT: true,
    SESSION_RESUMED: false,
    SLOW_CONSUMER: true,
    RESYNC: true,
    RATE_LIMITED: true,
    ADDRESS_LIMIT: true,
    AUTH_INVALID: false,
    TOKEN_EXPIRED: false,
    AUTH_REVOKED: false,
  };

  it('covers every CloseCode', () => {
    expect(Object.keys(EXPECTED).sort()).toStrictEqual(Object.keys(CloseCode).sort());
  });

  it.each(Object.entries(CloseCode))('%s (%i)', (name, code) => {
    expect(isRetryableClose(code)).toBe(EXPECTED[name as keyof typeof CloseCode]);
  });

  it.each([
    [1002, false],
    [1003, false],
    [1008, false],
    [3000, false],
    [4003, false],
    [4099, false],
    [4100, false],
    [4199, false],
    [4200, true],
    [4250, true],
    [4299, true],
    [4300, true],
    [4399, true],
    [4400, false],
    [4999, false],
  ])('range code %i is retryable: %s', (code, expected) => {
    expect(isRetryableClose(code)).toBe(expected);
  });
});

describe('clampCloseReason', () => {
  it.each(['', 'bye', 'x'.repeat(123), `${'é'.repeat(61)}x`, '🎉'.repeat(30)])('leaves a reason of at most 123 bytes untouched (%#)', (reason) => {
    expect(utf8Length(reason)).toBeLessThanOrEqual(123);
    expect(clampCloseReason(reason)).toBe(reason);
  });

  it('cuts a long ASCII reason to 123 bytes ending with ...', () => {
    const clamped = clampCloseReason('a'.repeat(500));
    expect(clamped).toBe(`${'a'.repeat(120)}...`);
    expect(utf8Length(clamped)).toBe(123);
  });

  it('cuts multibyte reasons on a character boundary', () => {
    const emoji = clampCloseReason('🎉'.repeat(100));
    expect(emoji).toBe(`${'🎉'.repeat(30)}...`);
    const mixed = clampCloseReason(`a${'🎉'.repeat(100)}`);
    expect(mixed).toBe(`a${'🎉'.repeat(29)}...`);
    expect(utf8Length(mixed)).toBe(1 + 29 * 4 + 3);
    expect(/\p{Cs}/u.test(mixed)).toBe(false); // no lone surrogate
    const accents = clampCloseReason('é'.repeat(100));
    expect(accents).toBe(`${'é'.repeat(60)}...`);
  });

  it('always fits in 123 bytes, keeps short reasons and cuts long ones to a maximal prefix', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 100 })),
        (reason) => {
          const clamped = clampCloseReason(reason);
          expect(utf8Length(clamped)).toBeLessThanOrEqual(123);
          if (utf8Length(reason) <= 123) {
            expect(clamped).toBe(reason);
            return;
          }
          expect(clamped.endsWith('...')).toBe(true);
          const prefix = clamped.slice(0, -3);
          expect(reason.startsWith(prefix)).toBe(true);
          // Cut between code points, and no earlier than needed (the next code point is at most 4 bytes).
          const last = prefix.charCodeAt(prefix.length - 1);
          const next = reason.charCodeAt(prefix.length);
          expect(last >= 0xd800 && last <= 0xdbff && next >= 0xdc00 && next <= 0xdfff).toBe(false);
          expect(utf8Length(prefix)).toBeGreaterThan(116);
        },
      ),
    );
  });
});
