import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FORBIDDEN_KEYS, isPlainJson, jsonNestsTooDeepOrHasPrototypeKey, jsonTreeProblem } from './payload-guard.js';

/** `depth` arrays nested around `inner`: nest(1, x) is [x]. */
function nest(depth: number, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function containsNegativeZero(value: unknown): boolean {
  if (Object.is(value, -0)) return true;
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).some(containsNegativeZero);
}

function containsForbiddenKey(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.keys(value).some((key) => FORBIDDEN_KEYS.has(key)) || Object.values(value).some(containsForbiddenKey);
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

const shared = { s: 1 };
const cycle: Record<string, unknown> = { a: 1 };
cycle.self = cycle;
const nullPrototype = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: [true] });
const arraySubclass = new (class Items extends Array<number> {})();

describe('isPlainJson', () => {
  const PLAIN: ReadonlyArray<[label: string, value: unknown]> = [
    ['string', 'text'],
    ['empty string', ''],
    ['boolean', true],
    ['null', null],
    ['integer', 42],
    ['negative float', -1.5],
    ['positive zero', 0],
    ['MAX_VALUE', Number.MAX_VALUE],
    ['empty object', {}],
    ['empty array', []],
    ['nested objects and arrays', { a: [1, 'two', { b: [null, false, { c: {} }] }], d: { e: [] } }],
    ['null-prototype object', nullPrototype],
    ['the same scalar twice', { a: 'x', b: 'x' }],
    ['siblings that are equal but distinct', { a: { s: 1 }, b: { s: 1 } }],
    ['keys that look special but are allowed', { proto: 1, __proto: 2, Constructor: 3, 'a.b': 4 }],
  ];

  const NOT_PLAIN: ReadonlyArray<[label: string, value: unknown]> = [
    ['undefined', undefined],
    ['Date', new Date(0)],
    ['Map', new Map()],
    ['Set', new Set()],
    ['undefined value', { a: undefined }],
    ['undefined in an array', [1, undefined]],
    ['NaN', NaN],
    ['-0', -0],
    ['-0 nested', { a: [-0] }],
    ['Infinity', Infinity],
    ['-Infinity', [-Infinity]],
    ['sparse array', [1, , 3]],
    ['array with length but no items', new Array(2)],
    ['class instance', new Point(1, 2)],
    ['class instance nested', { p: new Point(1, 2) }],
    ['array subclass', arraySubclass],
    ['shared reference', { a: shared, b: shared }],
    ['shared reference in an array', [shared, { x: shared }]],
    ['cycle', cycle],
    ['function', () => 1],
    ['function value', { f: () => 1 }],
    ['symbol', Symbol('s')],
    ['bigint', 1n],
    ['bigint nested', [[1n]]],
    ['Uint8Array', new Uint8Array(2)],
    ['boxed string', Object('x')],
    ['RegExp', /x/],
    ['__proto__ key', JSON.parse('{"__proto__":1}')],
    ['constructor key', { a: { constructor: 1 } }],
    ['prototype key', [{ prototype: {} }]],
  ];

  it.each(PLAIN)('is true for %s', (_label, value) => {
    expect(isPlainJson(value, 64)).toBe(true);
  });

  it.each(NOT_PLAIN)('is false for %s', (_label, value) => {
    expect(isPlainJson(value, 64)).toBe(false);
  });

  it('is false past the depth limit: [1] is depth 1', () => {
    expect(isPlainJson(1, 0)).toBe(true);
    expect(isPlainJson([], 0)).toBe(false);
    expect(isPlainJson(nest(3, 1), 3)).toBe(true);
    expect(isPlainJson(nest(4, 1), 3)).toBe(false);
    expect(isPlainJson({ a: { b: { c: 1 } } }, 3)).toBe(true);
    expect(isPlainJson({ a: { b: { c: {} } } }, 3)).toBe(false);
    expect(isPlainJson(nest(200_000, 1), 64)).toBe(false);
  });

  it('is true exactly for JSON without -0 or forbidden keys, and such values survive JSON.stringify → JSON.parse unchanged', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        // JSON.parse never builds null-prototype objects, so compare against a JSON copy.
        const copy: unknown = JSON.parse(JSON.stringify(value));
        expect(isPlainJson(copy, 64)).toBe(!containsNegativeZero(copy) && !containsForbiddenKey(copy));
        if (isPlainJson(copy, 64)) expect(JSON.parse(JSON.stringify(copy))).toStrictEqual(copy);
      }),
    );
  });
});

describe('jsonTreeProblem', () => {
  it('counts depth from 1 for the outermost array or object; a scalar is depth 0', () => {
    expect(jsonTreeProblem(1, 0)).toBeUndefined();
    expect(jsonTreeProblem('x', 0)).toBeUndefined();
    expect(jsonTreeProblem(null, 0)).toBeUndefined();
    expect(jsonTreeProblem([], 0)).toBeTypeOf('string');
    expect(jsonTreeProblem([1], 1)).toBeUndefined();
    expect(jsonTreeProblem([[1]], 1)).toBeTypeOf('string');
    expect(jsonTreeProblem([[1]], 2)).toBeUndefined();
    expect(jsonTreeProblem({ a: { b: 1 } }, 1)).toBeTypeOf('string');
    expect(jsonTreeProblem({ a: { b: 1 } }, 2)).toBeUndefined();
    expect(jsonTreeProblem([1, [2, [3]], { a: [4] }], 3)).toBeUndefined();
    expect(jsonTreeProblem([1, [2, [3]], { a: [[4]] }], 3)).toBeTypeOf('string');
  });

  it('has exactly three forbidden keys', () => {
    expect([...FORBIDDEN_KEYS].sort()).toStrictEqual(['__proto__', 'constructor', 'prototype']);
  });

  it.each([
    ['__proto__ at the top', '{"__proto__":{"polluted":1}}'],
    ['constructor nested in arrays', '[[{"a":1}],[{"b":{"constructor":{}}}]]'],
    ['prototype deep', '{"a":{"b":{"c":{"d":{"prototype":1}}}}}'],
    ['__proto__ after harmless keys', '{"x":1,"y":[1,2],"z":{"__proto__":null}}'],
  ])('finds a forbidden key: %s', (_label, text) => {
    expect(jsonTreeProblem(JSON.parse(text), 64)).toBeTypeOf('string');
  });

  it('accepts forbidden words as values and as parts of keys', () => {
    expect(jsonTreeProblem(JSON.parse('{"a":"__proto__","b":["constructor"],"prototypes":1,"x.__proto__":2}'), 64)).toBeUndefined();
  });

  it('returns a problem for a 200,000-deep array without overflowing the stack', () => {
    const n = 200_000;
    const deep: unknown = JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`);
    expect(jsonTreeProblem(deep, 64)).toBeTypeOf('string');
    expect(jsonTreeProblem(deep, n)).toBeUndefined();
    expect(jsonTreeProblem(deep, n - 1)).toBeTypeOf('string');
  });

  it('agrees with a recursive reference on generated JSON', () => {
    const depthOf = (value: unknown): number =>
      typeof value !== 'object' || value === null ? 0 : 1 + Math.max(0, ...Object.values(value).map(depthOf));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.nat(6), (value, maxDepth) => {
        const expected = depthOf(value) <= maxDepth && !containsForbiddenKey(value);
        expect(jsonTreeProblem(value, maxDepth) === undefined).toBe(expected);
      }),
    );
  });
});

describe('jsonNestsTooDeepOrHasPrototypeKey (the fast walk in front of every plain decode)', () => {
  /** Keys: the three prototype keys, words of their lengths (9, 11) that are not them, and others. */
  const key = fc.constantFrom('a', 'b', '', '__proto__', 'constructor', 'prototype', '__proto_x', 'constructer', 'protozoan', 'prototypes', '0');
  const { value } = fc.letrec<{ value: unknown; node: unknown }>((tie) => ({
    value: fc.oneof({ maxDepth: 5, depthSize: 'small' }, { arbitrary: fc.jsonValue({ maxDepth: 0 }), weight: 2 }, { arbitrary: tie('node'), weight: 2 }),
    node: fc.oneof(
      fc.array(tie('value'), { maxLength: 4 }),
      // Built by JSON.parse, as payloads are: `__proto__` is then an own key.
      fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`) as unknown),
    ),
  }));
  /** A chain of `depth` arrays and objects around `inner`. */
  const chain = fc.tuple(fc.integer({ min: 0, max: 12 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), value).map(([depth, kinds, inner]) => {
    let text = JSON.stringify(inner) ?? 'null';
    for (let i = 0; i < depth; i++) text = kinds[i] ? `[0,${text}]` : `{"k":${text}}`;
    return JSON.parse(text) as unknown;
  });
  const depthLimit = fc.oneof(fc.integer({ min: 0, max: 14 }), fc.constantFrom(-1, 0.5, 2.5, Number.NaN, Number.POSITIVE_INFINITY));

  it('gives jsonTreeProblem’s verdict, for any limit (fractions, negatives and NaN included)', () => {
    fc.assert(
      fc.property(fc.oneof(value, chain), depthLimit, (input, maxDepth) => {
        expect(jsonNestsTooDeepOrHasPrototypeKey(input, maxDepth)).toBe(jsonTreeProblem(input, maxDepth) !== undefined);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the same verdict past 1,000 levels, where it walks without recursion, and never overflows the stack', () => {
    for (const n of [999, 1000, 1001, 1500]) {
      const deep: unknown = JSON.parse(`${'[{"a":'.repeat(n)}1${'}]'.repeat(n)}`);
      for (const maxDepth of [2 * n - 1, 2 * n, 2 * n + 1, 999, 1000, 1001]) {
        expect(jsonNestsTooDeepOrHasPrototypeKey(deep, maxDepth), `${n} pairs, limit ${maxDepth}`).toBe(jsonTreeProblem(deep, maxDepth) !== undefined);
      }
    }
    const n = 200_000;
    const deep: unknown = JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`);
    expect(jsonNestsTooDeepOrHasPrototypeKey(deep, n)).toBe(false);
    expect(jsonNestsTooDeepOrHasPrototypeKey(deep, n - 1)).toBe(true);
    expect(jsonNestsTooDeepOrHasPrototypeKey(deep, 64)).toBe(true);
  });
});
