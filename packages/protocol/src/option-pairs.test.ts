/** checkOptionPairs: a pair is refused iff a value given contradicts the other option (given, or its default). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeOf } from './error-code.test-support.js';
import { type OptionPair, checkOptionPairs } from './option-pairs.js';

const anyPair: fc.Arbitrary<OptionPair> = fc
  .record({
    defaults: fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 })),
    below: fc.boolean(),
    lowFollows: fc.boolean(),
  })
  // The defaults satisfy their pair.
  .filter(({ defaults: [low, high], below }) => (below ? low < high : low <= high))
  .map(({ defaults, below, lowFollows }) => ({
    low: 'low',
    high: 'high',
    defaults,
    ...(below && { order: 'below' as const }),
    ...(lowFollows && { lowFollows }),
  }));

const given = fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined });

describe('checkOptionPairs', () => {
  it('property: taken iff nothing is given, the values in effect keep the order, or only high is given and low follows it', () => {
    fc.assert(
      fc.property(anyPair, given, given, (pair, low, high) => {
        const lowValue = low ?? pair.defaults[0];
        const highValue = high ?? pair.defaults[1];
        const ordered = pair.order === 'below' ? lowValue < highValue : lowValue <= highValue;
        const taken = (low === undefined && high === undefined) || ordered || (low === undefined && pair.lowFollows === true);
        expect(codeOf(() => checkOptionPairs('f', { low, high }, [pair]))).toBe(taken ? undefined : 'OPTION_INVALID');
      }),
      { numRuns: 2000 },
    );
  });

  it('reaches nested options by dotted path, and skips a pair whose object is not one (`reconnect: false`)', () => {
    const pair: OptionPair = { low: 'r.min', high: 'r.max', defaults: [5, 10] };
    expect(codeOf(() => checkOptionPairs('f', { r: { min: 11 } }, [pair]))).toBe('OPTION_INVALID');
    expect(codeOf(() => checkOptionPairs('f', { r: { min: 3, max: 2 } }, [pair]))).toBe('OPTION_INVALID');
    expect(codeOf(() => checkOptionPairs('f', { r: { min: 2, max: 2 } }, [pair]))).toBeUndefined();
    for (const r of [false, true, undefined, null]) expect(codeOf(() => checkOptionPairs('f', { r }, [pair]))).toBeUndefined();
    expect(codeOf(() => checkOptionPairs('f', undefined, [pair]))).toBeUndefined();
  });

  it('leaves a value that is not a number to the range check', () => {
    expect(codeOf(() => checkOptionPairs('f', { low: 'x', high: 1 }, [{ low: 'low', high: 'high', defaults: [0, 5] }]))).toBeUndefined();
  });
});
