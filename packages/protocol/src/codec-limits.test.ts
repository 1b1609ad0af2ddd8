/** The codec factories check their DecodeLimits (and the superjson codec's own limits) at construction. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MAX_ANNOTATIONS, MAX_MAX_DEPTH } from './codec.js';
import { codeOf } from './error-code.test-support.js';
import { createJsonCodec } from './json-codec.js';
import { createSuperjsonCodec } from './superjson-codec.js';

const RANGES = {
  maxDepth: MAX_MAX_DEPTH,
  maxAnnotations: MAX_MAX_ANNOTATIONS,
  maxWorkPerByte: 1000,
  maxBigIntLength: 1_000_000,
} as const;

type Limit = keyof typeof RANGES;
const factories: Array<[string, (options: Partial<Record<Limit, number>>) => unknown, readonly Limit[]]> = [
  ['createJsonCodec', createJsonCodec, ['maxDepth']],
  ['createSuperjsonCodec', createSuperjsonCodec, ['maxDepth', 'maxAnnotations', 'maxWorkPerByte', 'maxBigIntLength']],
];

describe.each(factories)('%s', (_name, create, limits) => {
  it.each(limits)('refuses a nonsensical %s with OPTION_INVALID', (limit) => {
    for (const value of [-1, Number.NaN, 1.5, Number.POSITIVE_INFINITY, RANGES[limit] + 1, Number.MAX_SAFE_INTEGER, '8' as unknown as number]) {
      expect(codeOf(() => create({ [limit]: value }))).toBe('OPTION_INVALID');
    }
  });

  it.each(limits)('takes any integer %s in its range, both ends included', (limit) => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(0, RANGES[limit]), fc.integer({ min: 0, max: RANGES[limit] })), (value) => {
        expect(codeOf(() => create({ [limit]: value }))).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });
});

it('a codec with the highest maxDepth still works (its checks walk without recursion: codec-untrusted.test.ts)', () => {
  let rich: unknown = new Date(0);
  let plain: unknown = 1;
  for (let i = 0; i < 1000; i++) {
    rich = [rich];
    plain = { a: plain };
  }
  const superjson = createSuperjsonCodec({ maxDepth: MAX_MAX_DEPTH });
  expect(superjson.decode(superjson.encode(rich))).toEqual({ ok: true, value: rich });
  const json = createJsonCodec({ maxDepth: MAX_MAX_DEPTH });
  expect(json.decode(json.encode(plain))).toEqual({ ok: true, value: plain });
});
