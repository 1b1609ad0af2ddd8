import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoDateTime } from './iso-date.js';

/** What the fast reading must equal whenever it reads something: the engine's own parse. */
function agrees(text: string): void {
  const fast = isoDateTime(text);
  if (!Number.isNaN(fast)) expect(fast).toBe(Date.parse(text));
}

describe('isoDateTime (the Date fast path of the superjson decoder)', () => {
  it('reads every date superjson writes with a four-digit year, to the engine\'s time', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), (date) => {
        expect(isoDateTime(date.toISOString())).toBe(date.getTime());
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['1970-01-01T00:00:00.000Z', 0],
    ['2024-02-29T23:59:59.999Z', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ['0000-03-01T00:00:00.000Z', Date.parse('0000-03-01T00:00:00.000Z')],
    ['2026-02-29T00:00:00.000Z', Number.NaN],
    ['2026-04-31T00:00:00.000Z', Number.NaN],
    ['1900-02-29T00:00:00.000Z', Number.NaN],
    ['2026-01-01T24:00:00.000Z', Number.NaN],
    ['2026-01-01T23:60:00.000Z', Number.NaN],
    ['2026-00-01T00:00:00.000Z', Number.NaN],
    ['+002026-01-01T00:00:00.000Z', Number.NaN],
    ['2026-01-01T00:00:00.000+00:00', Number.NaN],
    ['2026-01-01T00:00:00Z', Number.NaN],
    ['2026-01-01 00:00:00.000Z', Number.NaN],
    ['2026-01-0a T00:00:00.000Z', Number.NaN],
  ])('%s: %s (NaN: left to new Date)', (text, time) => {
    expect(isoDateTime(text)).toBe(time);
    agrees(text);
  });

  it('differential: on near-ISO text it reads nothing or exactly what Date.parse reads', () => {
    const digit = fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '9');
    const field = (n: number) => fc.array(fc.oneof(digit, fc.constantFrom('a', '-', ' ', '+')), { minLength: n, maxLength: n }).map((a) => a.join(''));
    const sep = (c: string) => fc.oneof({ weight: 9, arbitrary: fc.constant(c) }, { weight: 1, arbitrary: fc.constantFrom('-', ':', '.', 'T', 'Z', ' ', '') });
    const near = fc
      .tuple(field(4), sep('-'), field(2), sep('-'), field(2), sep('T'), field(2), sep(':'), field(2), sep(':'), field(2), sep('.'), field(3), sep('Z'))
      .map((parts) => parts.join(''));
    fc.assert(fc.property(fc.oneof(near, fc.string({ maxLength: 30 })), agrees), { numRuns: 5000 });
  });
});
