/** checkOptions: a value is taken iff it is in its range; anything else throws OPTION_INVALID. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeOf } from './error-code.test-support.js';
import { type OptionRange, type OptionTable, checkOptions } from './option-ranges.js';

/** Any value a caller might pass, numbers of every kind first. */
const anyValue = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(fc.double(), fc.integer(), fc.double({ min: -10, max: 10 }), fc.constantFrom(0, -0, 1, 0.5, Number.MAX_SAFE_INTEGER, 2 ** 31)) },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.bigInt(), fc.object()) },
);

const anyRange: fc.Arbitrary<OptionRange> = fc
  .tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.boolean(), fc.boolean())
  .map(([min, span, fractions, unbounded]) => [min, unbounded ? Number.POSITIVE_INFINITY : min + span, ...(fractions ? (['fractions'] as const) : [])] as OptionRange);

describe('checkOptions', () => {
  it('property: a number option takes a value iff it is a number in [min, max], whole unless fractions are allowed', () => {
    fc.assert(
      fc.property(anyRange, anyValue, ([min, max, fractions], value) => {
        const whole = typeof value === 'number' && (Number.isInteger(value) || value === Number.POSITIVE_INFINITY);
        const taken = typeof value === 'number' && min <= value && value <= max && (fractions === 'fractions' || whole);
        const code = codeOf(() => checkOptions('f', { x: value }, { x: fractions === undefined ? [min, max] : [min, max, fractions] }));
        expect(code).toBe(taken ? undefined : 'OPTION_INVALID');
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a word option takes exactly its words', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 4 }), fc.oneof(fc.string(), anyValue), (words, value) => {
        expect(codeOf(() => checkOptions('f', { x: value }, { x: words }))).toBe(words.includes(value as string) ? undefined : 'OPTION_INVALID');
        expect(codeOf(() => checkOptions('f', { x: words[0] }, { x: words }))).toBeUndefined();
      }),
    );
  });

  it('property: a nested option is checked inside an object, in each object of a list, and not when it is a boolean', () => {
    const table: OptionTable = { rule: { limit: [0, 10] } };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 15 }), { maxLength: 4 }), (limits) => {
        const valid = limits.every((limit) => limit >= 0 && limit <= 10);
        const rules = limits.map((limit) => ({ limit }));
        expect(codeOf(() => checkOptions('f', { rule: rules }, table))).toBe(valid ? undefined : 'OPTION_INVALID');
        const first = rules[0];
        if (first !== undefined) expect(codeOf(() => checkOptions('f', { rule: first }, table))).toBe(first.limit >= 0 && first.limit <= 10 ? undefined : 'OPTION_INVALID');
      }),
    );
    expect([false, true].map((off) => codeOf(() => checkOptions('f', { rule: off }, table)))).toEqual([undefined, undefined]);
    expect([5, 'x', null].map((bad) => codeOf(() => checkOptions('f', { rule: bad }, table)))).toEqual(['OPTION_INVALID', 'OPTION_INVALID', 'OPTION_INVALID']);
  });

  it('an option that is undefined takes its default; options outside the table are not checked', () => {
    expect(codeOf(() => checkOptions('f', { x: undefined, y: -1 }, { x: [0, 1] }))).toBeUndefined();
    expect(codeOf(() => checkOptions('f', undefined, { x: [0, 1] }))).toBeUndefined();
  });
});
