/**
 * Decoding untrusted payloads: whatever a peer sends, decode returns a value or a PAYLOAD_INVALID
 * ProtocolError, never throws, and never touches Object.prototype.
 */
import fc from 'fast-check';
import superjson from 'superjson';
import { afterEach, assert, describe, expect, it } from 'vitest';
import type { Codec } from './codec.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { createJsonCodec, jsonCodec } from './json-codec.js';
import { createSuperjsonCodec, superjsonCodec } from './superjson-codec.js';

const OBJECT_PROTOTYPE_KEYS = Reflect.ownKeys(Object.prototype);
const ARRAY_PROTOTYPE_KEYS = Reflect.ownKeys(Array.prototype);

afterEach(() => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Reflect.ownKeys(Object.prototype)).toStrictEqual(OBJECT_PROTOTYPE_KEYS);
  expect(Reflect.ownKeys(Array.prototype)).toStrictEqual(ARRAY_PROTOTYPE_KEYS);
});

function expectInvalid(codec: Codec, text: string): void {
  const result = codec.decode(text);
  assert(!result.ok, `decode accepted ${text.slice(0, 120)}`);
  expect(result.error).toBeInstanceOf(ProtocolError);
  expect(result.error.code).toBe(ErrorCode.PAYLOAD_INVALID);
}

const DEEP = 100_000;
const envelope = (meta: string): string => `{"json":{},"meta":${meta}}`;

/** Refused by the shape checks alone: `check` and `decode` both refuse them. */
const SHAPE_INVALID: ReadonlyArray<[label: string, text: string]> = [
  ['not JSON', '{"json":'],
  ['empty text', ''],
  ['a JSON array', '[{"json":1}]'],
  ['a JSON number', '1'],
  ['JSON null', 'null'],
  ['a JSON string', '"{\\"json\\":1}"'],
  ['no json key, other members (a value sent without its envelope)', '{"role":"x"}'],
  ['no json key, a __proto__ member', '{"__proto__":{"polluted":1}}'],
  ['meta without json', '{"meta":{"v":1}}'],
  ['json with a __proto__ key', '{"json":{"__proto__":{"polluted":1}}}'],
  ['json with a nested constructor key', '{"json":{"a":[{"constructor":{"prototype":{"polluted":1}}}]}}'],
  ['json with a prototype key', '{"json":{"prototype":1}}'],
  ['json nested 65 deep', `{"json":${'['.repeat(65)}${']'.repeat(65)}}`],
  ['json nested 100,000 deep', `{"json":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}`],
  ['an annotation type that is a number', '{"json":1,"meta":{"values":[1]}}'],
  ['an empty annotation', '{"json":{"a":1},"meta":{"values":{"a":[]}}}'],
  ['meta.values a string (superjson overflows its stack on it)', '{"json":1,"meta":{"values":"Date"}}'],
  ['meta.v that cannot be compared with 1', '{"json":"2020-01-01","meta":{"values":["Date"],"v":{"toString":1}}}'],
  ['meta.values with a __proto__ key', '{"json":{"a":1},"meta":{"values":{"__proto__":["Date"]}}}'],
  ['referentialEqualities with a constructor key', '{"json":{"a":{}},"meta":{"referentialEqualities":{"constructor":["a"]}}}'],
  ['set then a flattened sibling path', '{"json":{"s":[1,2,3]},"meta":{"values":{"s":["set"],"s.1":["Date"]},"v":1}}'],
  ['map then a flattened sibling path', '{"json":{"m":[[1,2]]},"meta":{"values":{"m":["map"],"m.0.1":["Date"]},"v":1}}'],
  ['an annotation tree nested 100,000 deep', envelope(`{"values":${'["x",{"a":'.repeat(DEEP)}["x"]${'}]'.repeat(DEEP)}}`)],
  ['meta.values objects nested 100,000 deep', envelope(`{"values":${'{"values":'.repeat(DEEP)}["x"]${'}'.repeat(DEEP)}}`)],
  ['referentialEqualities nested 100,000 deep', envelope(`{"referentialEqualities":${'{"a":'.repeat(DEEP)}[]${'}'.repeat(DEEP)}}`)],
  [
    'more than 100,000 shared-reference paths',
    JSON.stringify({ json: { a: {} }, meta: { referentialEqualities: { a: Array.from({ length: 100_001 }, (_, i) => `b${i}`) }, v: 1 } }),
  ],
];

/**
 * Envelopes superjson reads although it never writes them: Herald reads them as superjson does
 * (other keys ignored, a meta that is not an object carries no annotations, any meta.v).
 */
const READ_AS_SUPERJSON: readonly string[] = [
  '{"json":1,"extra":2}',
  '{"json":1,"__proto__":{"polluted":1}}',
  '{"json":{"a":"2020-01-01"},"meta":{"values":{"a":["Date"]},"v":1,"extra":{"__proto__":{"polluted":1}}},"x":null}',
  '{"json":1,"meta":"x"}',
  '{"json":1,"meta":[]}',
  '{"json":1,"meta":null}',
  '{"json":1,"meta":5}',
  '{"json":1,"meta":{"values":["Date"],"extra":1}}',
  '{"json":"2020-01-01","meta":{"values":["Date"],"v":"1"}}',
  '{"json":"2020-01-01","meta":{"values":["Date"],"v":null}}',
  '{"json":{"a.b":"2020-01-01"},"meta":{"values":{"a\\\\.b":["Date"]},"v":"0"}}',
  '{"json":1,"meta":{"values":1}}',
  '{"json":1,"meta":{"values":true,"referentialEqualities":2}}',
  '{"json":{"a":[1]},"meta":{"values":{"a":["set",7]},"v":1}}',
  '{"json":[{},{}],"meta":{"referentialEqualities":[["1"],3],"v":1}}',
  // What superjson writes for a function or a symbol (its root JSON drops): undefined.
  '{}',
  ' {\n\t} ',
];

/** Valid in shape; only running superjson finds the problem. */
const DECODE_INVALID: ReadonlyArray<[label: string, text: string]> = [
  ['an unknown annotation type', '{"json":{"a":1},"meta":{"values":{"a":["Foo"]},"v":1}}'],
  ['an unknown custom type', '{"json":"x","meta":{"values":[["custom","Nope"]],"v":1}}'],
  ['invalid base64 in a Uint8Array', '{"json":"A","meta":{"values":[["custom","Uint8Array"]],"v":1}}'],
  ['a map from something that is not entries', '{"json":[1,2],"meta":{"values":["map"],"v":1}}'],
  ['an invalid URL', '{"json":"not a url","meta":{"values":["URL"],"v":1}}'],
  ['an invalid path escape', '{"json":{"a":1},"meta":{"values":{"a\\\\x":["Date"]},"v":1}}'],
];

/** Paths through keys that would reach Object.prototype. */
const POLLUTING: ReadonlyArray<[label: string, text: string]> = [
  ['meta.values path through __proto__', '{"json":{"a":"x"},"meta":{"values":{"__proto__.polluted":["Date"]}}}'],
  ['meta.values path through constructor.prototype', '{"json":{"a":{}},"meta":{"values":{"a.constructor.prototype.polluted":["undefined"]}}}'],
  ['meta.values path in an annotation child', '{"json":{"a":[{}]},"meta":{"values":{"a":["set",{"0.__proto__.polluted":["undefined"]}]},"v":1}}'],
  ['referentialEqualities path through __proto__', '{"json":{"a":{"polluted":1}},"meta":{"referentialEqualities":{"a":["__proto__.polluted"]},"v":1}}'],
  ['referentialEqualities root path through constructor', '{"json":{"a":{}},"meta":{"referentialEqualities":[["a.constructor.prototype.polluted"]],"v":1}}'],
];

const VALID: readonly unknown[] = [
  null,
  { plain: [1, 'two', { three: true }] },
  undefined,
  new Date(0),
  { m: new Map<unknown, unknown>([[1n, new Set([new Date(1), undefined])]]), n: [NaN, -0, -Infinity] },
  new Uint8Array([1, 2, 3]),
  { re: /x+/gi, url: new URL('https://example.com/'), error: new Error('e') },
];

describe('superjsonCodec.decode on envelopes superjson reads but never writes', () => {
  it.each(READ_AS_SUPERJSON)('%s: the value superjson.parse gives, and check accepts it', (text) => {
    const result = superjsonCodec.decode(text);
    assert(result.ok, `decode refused ${text}: ${result.ok || result.error.message}`);
    expect(result.value).toStrictEqual(superjson.parse(text));
    expect(superjsonCodec.check(text)).toBeUndefined();
  });
});

describe('superjsonCodec.decode on hostile payloads', () => {
  it.each([...SHAPE_INVALID, ...DECODE_INVALID, ...POLLUTING])('refuses %s with PAYLOAD_INVALID', (_label, text) => {
    expectInvalid(superjsonCodec, text);
  });

  it('check agrees with decode on valid payloads and on payloads with a bad shape', () => {
    const corpus = [...VALID.map((value) => superjsonCodec.encode(value)), ...SHAPE_INVALID.map(([, text]) => text)];
    for (const text of corpus) {
      const problem = superjsonCodec.check(text);
      const result = superjsonCodec.decode(text);
      expect({ text: text.slice(0, 80), checked: problem === undefined }).toStrictEqual({ text: text.slice(0, 80), checked: result.ok });
      if (problem !== undefined) {
        expect(problem).toBeInstanceOf(ProtocolError);
        expect(problem.code).toBe(ErrorCode.PAYLOAD_INVALID);
      }
    }
  });

  // A router runs check() on payloads it forwards: a path through a forbidden key is cheap to spot
  // there, and every receiver refuses it, so the publisher should be the one told.
  it('check refuses paths through __proto__, constructor or prototype, like decode', () => {
    const checked = POLLUTING.map(([label, text]) => [label, superjsonCodec.check(text)?.code]);
    expect(checked).toStrictEqual(POLLUTING.map(([label]) => [label, ErrorCode.PAYLOAD_INVALID]));
  });

  it('refuses more than maxAnnotations annotations, counting nested ones', () => {
    const codec = createSuperjsonCodec({ maxAnnotations: 10 });
    const dates = (n: number): string[] => Array.from({ length: n }, (_, i) => new Date(i).toISOString());
    const flat = (n: number): string =>
      JSON.stringify({ json: dates(n), meta: { values: Object.fromEntries(dates(n).map((_, i) => [String(i), ['Date']])), v: 1 } });
    expect(codec.decode(flat(10)).ok).toBe(true);
    expectInvalid(codec, flat(11));
    const inSet = JSON.stringify({
      json: { s: dates(10) },
      meta: { values: { s: ['set', Object.fromEntries(dates(10).map((_, i) => [String(i), ['Date']]))] }, v: 1 },
    });
    expectInvalid(codec, inSet);
    expect(superjsonCodec.decode(inSet).ok).toBe(true);
  });

  it('applies the default depth limit to json inside a payload with meta', () => {
    expectInvalid(superjsonCodec, `{"json":${'['.repeat(65)}"x"${']'.repeat(65)},"meta":{"values":["Date"],"v":1}}`);
  });
});

// The check refuses `{"s":["set"],"s.1":…}` because applying such a path reorders the Set and costs time
// quadratic in its size. The same path written another way must be refused too.
describe('a large configured maxDepth', () => {
  it('deep payloads are decoded or refused, never overflow the stack (the walks recurse to 1,000 levels at most)', () => {
    const n = 250_000;
    const inner = `${'['.repeat(n)}${']'.repeat(n)}`;
    for (const codec of [createSuperjsonCodec({ maxDepth: 300_000 }), createJsonCodec({ maxDepth: 300_000 })]) {
      const text = codec.fromPlainJson(inner);
      const result = codec.decode(text);
      assert(result.ok, `${codec.name}: ${result.ok || result.error.message}`);
      expect(codec.check(text)).toBeUndefined();
    }
    for (const codec of [createSuperjsonCodec({ maxDepth: 200_000 }), createJsonCodec({ maxDepth: 200_000 })]) {
      const text = codec.fromPlainJson(inner);
      expectInvalid(codec, text);
      expect(codec.check(text)?.code).toBe(ErrorCode.PAYLOAD_INVALID);
    }
  });
});

describe('paths that reach into a converted Set', () => {
  it.each([
    ['through a nested annotation level', '{"json":{"x":{"s":[1,2,3]}},"meta":{"values":{"x":{"s":["set"]},"x.s.1":["Date"]},"v":1}}'],
    [
      'through an escaped backslash in the key',
      JSON.stringify({ json: { 's\\': [1, 2, 3] }, meta: { values: { 's\\\\': ['set'], 's\\\\.1': ['Date'] }, v: 1 } }),
    ],
  ])('are refused %s', (_label, text) => {
    expectInvalid(superjsonCodec, text);
  });
});

// superjson's own output never annotates an array element that is not in the JSON. Such a path turns
// `[]` into a sparse array of 2^32-1 elements, and a "set" annotation above it iterates all of them
// (an 80-byte payload keeps a receiver busy for minutes with index 4294967294).
describe('annotation paths outside the JSON value', () => {
  it.each([
    ['a huge sparse array', '{"json":{"a":[]},"meta":{"values":{"a.4294967294":["undefined"]},"v":1}}'],
    ['a sparse array turned into a Set', '{"json":{"a":[]},"meta":{"values":{"a":["set",{"10000000":["undefined"]}]},"v":1}}'],
  ])('are refused: %s', (_label, text) => {
    expectInvalid(superjsonCodec, text);
  });
});

// ---- never throws ----

const annotationType = fc.constantFrom<unknown>(
  'Date', 'set', 'map', 'bigint', 'undefined', 'number', 'regexp', 'Error', 'URL', 'Foo', 1, null,
  ['custom', 'Uint8Array'], ['custom', 'ArrayBuffer'], ['custom', 'Nope'], ['typed-array', 'Float64Array'],
  ['typed-array', 'Nope'], ['class', 'X'], ['symbol', 'y'],
);
const pathKey = fc.constantFrom(
  '', 'a', 'a.b', '0', '1', '2', '0.0', '0.1', '1.1', 's', 's.0', 'm.0.1', 'a.0', '__proto__', '__proto__.polluted',
  'a.constructor.prototype', 'prototype', 'a\\.b', 'a\\\\.b', 'x\\y', '-1', 'NaN', '1e2',
);
const { tree: annotationTree } = fc.letrec<{ tree: unknown; node: unknown; level: unknown }>((tie) => ({
  tree: fc.oneof({ maxDepth: 3 }, tie('node'), tie('level')),
  node: fc.oneof(fc.tuple(annotationType), fc.tuple(annotationType, tie('level'))),
  level: fc.dictionary(pathKey, tie('tree'), { maxKeys: 4 }),
}));
const jsonPart = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.constantFrom('a', 'b', 's', 'm', 'x', '0', '1'), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.array(fc.nat(9), { maxLength: 4 })), { maxKeys: 4 }),
);
const refEqualities = fc.oneof(
  fc.dictionary(pathKey, fc.array(pathKey, { maxLength: 3 }), { maxKeys: 3 }),
  fc.tuple(fc.array(pathKey, { maxLength: 2 })),
);
const crafted = fc
  .record(
    {
      json: jsonPart,
      meta: fc.record({ values: annotationTree, referentialEqualities: refEqualities, v: fc.constantFrom(0, 1) }, { requiredKeys: [] }),
    },
    { requiredKeys: ['json'] },
  )
  .map((payload) => JSON.stringify(payload));
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json(), crafted);

describe.each([
  ['superjsonCodec', superjsonCodec],
  ['jsonCodec', jsonCodec],
])('%s on arbitrary text', (_name, codec) => {
  it('decode and check never throw, and report only PAYLOAD_INVALID', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const result = codec.decode(text);
        if (!result.ok) {
          expect(result.error).toBeInstanceOf(ProtocolError);
          expect(result.error.code).toBe(ErrorCode.PAYLOAD_INVALID);
        }
        const problem = codec.check(text);
        if (problem !== undefined) expect(problem.code).toBe(ErrorCode.PAYLOAD_INVALID);
        // A payload check refuses is never one decode accepts.
        if (problem !== undefined) expect(result.ok).toBe(false);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });
});
