import fc from 'fast-check';
import { assert, describe, expect, it } from 'vitest';
import { toBase64 } from './base64.js';
import { type Codec, selectCodec, subprotocolFor, transcode } from './codec.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { jsonCodec } from './json-codec.js';
import { FORBIDDEN_KEYS } from './payload-guard.js';
import { createSuperjsonCodec, superjsonCodec } from './superjson-codec.js';

function decoded(codec: Codec, text: string): unknown {
  const result = codec.decode(text);
  assert(result.ok, `decode refused ${text.slice(0, 200)}: ${result.ok || result.error.code}`);
  return result.value;
}

function roundTrip(value: unknown, codec: Codec = superjsonCodec): unknown {
  return decoded(codec, codec.encode(value));
}

/** The payload `encode` returns, or undefined after checking that it threw PAYLOAD_UNENCODABLE. */
function encodeOrRefuse(codec: Codec, value: unknown): string | undefined {
  try {
    return codec.encode(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe(ErrorCode.PAYLOAD_UNENCODABLE);
    return undefined;
  }
}

function expectUnencodable(codec: Codec, value: unknown): void {
  expect(encodeOrRefuse(codec, value)).toBeUndefined();
}

/** `depth` arrays nested around `inner`: nest(1, x) is [x]. */
function nest(depth: number, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('superjsonCodec round trips', () => {
  it('Date', () => {
    const value = roundTrip(new Date(Date.UTC(2024, 1, 29, 12, 30, 45, 678)));
    expect(Object.getPrototypeOf(value)).toBe(Date.prototype);
    expect(value).toStrictEqual(new Date('2024-02-29T12:30:45.678Z'));
  });

  it('Map with non-string keys', () => {
    const key = { k: 1 };
    const map = new Map<unknown, unknown>([
      [1, 'number one'],
      ['1', 'string one'],
      [1n, 'bigint one'],
      [null, 'null'],
      [undefined, 'undefined'],
      [new Date(0), 'epoch'],
      [key, [1, 2]],
    ]);
    const value = roundTrip(map);
    expect(Object.getPrototypeOf(value)).toBe(Map.prototype);
    expect(value).toStrictEqual(map);
    assert(value instanceof Map);
    expect(value.get(1)).toBe('number one');
    expect(value.get('1')).toBe('string one');
    expect([...value.keys()].map((k) => typeof k)).toStrictEqual(['number', 'string', 'bigint', 'object', 'undefined', 'object', 'object']);
  });

  it('Set', () => {
    const set = new Set<unknown>([1, '1', null, undefined, NaN, { a: 1 }]);
    const value = roundTrip(set);
    expect(Object.getPrototypeOf(value)).toBe(Set.prototype);
    expect(value).toStrictEqual(set);
  });

  it.each([0n, 1n, -1n, 2n ** 64n, -(2n ** 521n - 1n), 10n ** 300n + 7n])('BigInt %s', (big) => {
    expect(roundTrip(big)).toBe(big);
  });

  it('undefined at top level, as an object value and in arrays', () => {
    expect(roundTrip(undefined)).toBeUndefined();
    const object = roundTrip({ a: undefined, b: 1 });
    expect(object).toStrictEqual({ a: undefined, b: 1 });
    expect(Object.keys(object as object)).toStrictEqual(['a', 'b']);
    const array = roundTrip([1, undefined, 2, undefined]);
    expect(array).toStrictEqual([1, undefined, 2, undefined]);
    expect(1 in (array as unknown[])).toBe(true);
  });

  it('RegExp with flags', () => {
    const regexp = /a+b?\.[/\\]c$/dgimsuy;
    const value = roundTrip(regexp);
    assert(value instanceof RegExp);
    expect(value.source).toBe(regexp.source);
    expect(value.flags).toBe('dgimsuy');
    expect(value.test('aab.\\c')).toBe(true);
  });

  it.each([
    ['Error', new Error('boom')],
    ['TypeError', new TypeError('bad type')],
    ['custom name', Object.assign(new Error('custom'), { name: 'ValidationError' })],
  ])('Error: %s keeps its message and name', (_label, error) => {
    const value = roundTrip(error);
    expect(value).toBeInstanceOf(Error);
    assert(value instanceof Error);
    expect(value.message).toBe(error.message);
    expect(value.name).toBe(error.name);
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['-0', -0],
    ['0', 0],
    ['MAX_VALUE', Number.MAX_VALUE],
    ['MIN_VALUE', Number.MIN_VALUE],
  ])('number %s', (_label, number) => {
    expect(Object.is(roundTrip(number), number)).toBe(true);
    expect(Object.is((roundTrip({ n: [number] }) as { n: number[] }).n[0], number)).toBe(true);
  });

  it('URL', () => {
    const value = roundTrip(new URL('https://user@example.com:8443/a/b?c=1&d=%20#frag'));
    assert(value instanceof URL);
    expect(value.href).toBe('https://user@example.com:8443/a/b?c=1&d=%20#frag');
  });

  it('nested mixes: Map of Sets of Dates, and more', () => {
    const value = {
      m: new Map<unknown, unknown>([
        [1n, new Set([new Date(1), new Date(2)])],
        [new Date(3), new Map([['inner', new Set([undefined, NaN, -0])]])],
      ]),
      list: [new Map(), new Set(), [new Date(4), { deep: { x: [-0, 10n, Infinity, /x/g] } }]],
      u: undefined,
      url: new URL('https://example.com/'),
      bytes: new Uint8Array([1, 2, 3]),
    };
    expect(roundTrip(value)).toStrictEqual(value);
  });

  it('Uint8Array arrives as a Uint8Array with the same bytes, whatever the input subclass or view', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const input of [all, new Uint8Array(0), all.subarray(100, 103), Buffer.from([9, 8, 7])]) {
      const value = roundTrip(input);
      expect(Object.getPrototypeOf(value)).toBe(Uint8Array.prototype);
      expect(Array.from(value as Uint8Array)).toStrictEqual(Array.from(input));
    }
  });

  it('ArrayBuffer arrives as an ArrayBuffer with the same bytes', () => {
    const buffer = Uint8Array.from([0, 1, 254, 255, 128]).buffer;
    const value = roundTrip(buffer);
    expect(Object.getPrototypeOf(value)).toBe(ArrayBuffer.prototype);
    expect(Array.from(new Uint8Array(value as ArrayBuffer))).toStrictEqual([0, 1, 254, 255, 128]);
  });

  it.each([
    ['Float64Array', new Float64Array([1.5, -2.25, 1e300, Number.MIN_VALUE])],
    ['Float32Array', new Float32Array([0.5, -8])],
    ['Int16Array', new Int16Array([-32768, 0, 32767])],
    ['Uint32Array', new Uint32Array([0, 4294967295])],
    ['Uint8ClampedArray', new Uint8ClampedArray([0, 128, 255])],
  ])('%s keeps its type and values', (_label, array) => {
    const value = roundTrip(array);
    expect(Object.getPrototypeOf(value)).toBe(Object.getPrototypeOf(array));
    expect(value).toStrictEqual(array);
  });

  // The codec promises that NaN, ±Infinity and -0 keep their values; superjson sends typed arrays as
  // JSON number arrays, where they become null (→ 0) and 0. Either keep them or refuse to encode.
  it('a Float64Array with NaN, ±Infinity and -0 round-trips exactly or is refused with PAYLOAD_UNENCODABLE', () => {
    const array = new Float64Array([NaN, Infinity, -Infinity, -0]);
    const text = encodeOrRefuse(superjsonCodec, array);
    if (text === undefined) return;
    const value = decoded(superjsonCodec, text);
    expect(Object.getPrototypeOf(value)).toBe(Object.getPrototypeOf(array));
    expect(Array.from(value as Float64Array, (n) => (Object.is(n, -0) ? '-0' : String(n)))).toStrictEqual([
      'NaN',
      'Infinity',
      '-Infinity',
      '-0',
    ]);
  });

  it('shared references keep their identity', () => {
    const shared = { n: 1 };
    const value = roundTrip({ a: shared, b: shared, list: [shared] }) as { a: unknown; b: unknown; list: unknown[] };
    expect(value).toStrictEqual({ a: { n: 1 }, b: { n: 1 }, list: [{ n: 1 }] });
    expect(value.a).toBe(value.b);
    expect(value.list[0]).toBe(value.a);
  });

  it('a Map may have keys that would be forbidden as object keys', () => {
    const map = new Map([['__proto__', 1], ['constructor', 2], ['prototype', 3]]);
    expect(roundTrip(map)).toStrictEqual(map);
  });
});

describe('superjsonCodec wire format', () => {
  it('sends a 3000-byte Uint8Array as base64, not as a JSON array of numbers', () => {
    const bytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256);
    const base64 = toBase64(bytes);
    const text = superjsonCodec.encode(bytes);
    expect(text).toContain(base64);
    expect(text.length).toBeLessThanOrEqual(Math.ceil(1.4 * base64.length));
  });

  it.each([
    ['empty object', {}],
    ['empty array', []],
    ['string', 'hello "world"\n'],
    ['number', 1.5],
    ['zero', 0],
    ['boolean', false],
    ['null', null],
    ['nested', { a: [1, 'two', { three: [null, true] }], 'dotted.key': { 'back\\slash': 'x' } }],
    ['unicode', { 'ключ': '日本', emoji: '🎉' }],
  ])('plain JSON takes the fast path: %s', (_label, value) => {
    const text = superjsonCodec.encode(value);
    expect(text).toBe(`{"json":${JSON.stringify(value)}}`);
    expect(decoded(superjsonCodec, text)).toStrictEqual(value);
  });
});

describe('superjsonCodec refuses to encode', () => {
  const forbidden: ReadonlyArray<[label: string, value: unknown]> = [
    ['__proto__ from JSON.parse', JSON.parse('{"__proto__":{"polluted":1}}')],
    ['__proto__ by defineProperty', Object.defineProperty({}, '__proto__', { value: 1, enumerable: true })],
    ['constructor', { constructor: 1 }],
    ['prototype', { prototype: {} }],
    ['nested constructor', [{ a: { constructor: 'x' } }]],
    ['constructor next to a Date', { d: new Date(0), constructor: 1 }],
    ['prototype inside a Map value', new Map([['k', { prototype: 1 }]])],
    ['__proto__ inside a Set', new Set([JSON.parse('{"__proto__":1}')])],
  ];

  it.each(forbidden)('a forbidden key: %s', (_label, value) => {
    expectUnencodable(superjsonCodec, value);
    expectUnencodable(jsonCodec, value);
  });

  it('nesting deeper than DEFAULT_MAX_DEPTH (64)', () => {
    expect(roundTrip(nest(64, 1))).toStrictEqual(nest(64, 1));
    expect(roundTrip(nest(63, new Date(0)))).toStrictEqual(nest(63, new Date(0)));
    expectUnencodable(superjsonCodec, nest(65, 1));
    expectUnencodable(superjsonCodec, nest(65, new Date(0)));
    expectUnencodable(superjsonCodec, nest(10_000, 1));
    expectUnencodable(jsonCodec, nest(65, 1));
  });

  it('more annotations than maxAnnotations', () => {
    const codec = createSuperjsonCodec({ maxAnnotations: 10 });
    const ten = Array.from({ length: 10 }, (_, i) => new Date(i));
    expect(roundTrip(ten, codec)).toStrictEqual(ten);
    expectUnencodable(codec, [...ten, new Date(10)]);
  });

  // encode must throw PAYLOAD_UNENCODABLE or return a payload that decode accepts, never anything else.
  const awkward: ReadonlyArray<[label: string, value: unknown]> = [
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a BigInt64Array', new BigInt64Array([1n])],
  ];
  it.each(
    awkward.flatMap(([label, value]): Array<[string, string, Codec, unknown]> => [
      ['superjsonCodec', label, superjsonCodec, value],
      ['jsonCodec', label, jsonCodec, value],
    ]),
  )('%s: %s is refused with PAYLOAD_UNENCODABLE or encoded as a payload decode accepts', (_name, _label, codec, value) => {
    const text = encodeOrRefuse(codec, value);
    if (text !== undefined) expect(codec.decode(text).ok).toBe(true);
  });
});

// ---- property: arbitrary rich values round-trip ----

const noForbiddenKeys = (record: Record<string, unknown>): boolean => Object.keys(record).every((k) => !FORBIDDEN_KEYS.has(k));

const { value: richValue } = fc.letrec<{ value: unknown; leaf: unknown; node: unknown }>((tie) => ({
  value: fc.oneof({ maxDepth: 4, depthSize: 'small' }, { arbitrary: tie('leaf'), weight: 1 }, { arbitrary: tie('node'), weight: 2 }),
  leaf: fc.oneof(
    fc.date({ noInvalidDate: true }),
    fc.bigInt(),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
  ),
  node: fc.oneof(
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4, noNullPrototype: true }).filter(noForbiddenKeys),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => new Set(items)),
  ),
}));

describe('superjsonCodec properties', () => {
  it('decode(encode(v)) strictly equals v for arbitrary rich values', () => {
    fc.assert(
      fc.property(richValue, (value) => {
        expect(roundTrip(value)).toStrictEqual(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('the JSON projection of a superjson payload equals what jsonCodec sends for the same value', () => {
    fc.assert(
      fc.property(richValue, (value) => {
        const projected = transcode(superjsonCodec.encode(value), superjsonCodec, jsonCodec);
        expect(decoded(jsonCodec, projected)).toStrictEqual(decoded(jsonCodec, jsonCodec.encode(value)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('jsonCodec', () => {
  it.each([
    ['object', { a: [1, 'x', null, true, { b: 2.5 }] }],
    ['array', [[], {}, '']],
    ['string', 'text'],
    ['number', -12.75],
    ['null', null],
  ])('plain value round-trips as plain JSON: %s', (_label, value) => {
    const text = jsonCodec.encode(value);
    expect(text).toBe(JSON.stringify(value));
    expect(decoded(jsonCodec, text)).toStrictEqual(value);
  });

  it.each([
    ['Date → ISO string', new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6)), '2020-01-02T03:04:05.006Z'],
    ['Map → entry array', new Map<unknown, unknown>([[1, 'a'], ['b', new Date(0)]]), [[1, 'a'], ['b', '1970-01-01T00:00:00.000Z']]],
    ['Set → array', new Set([1, 'two']), [1, 'two']],
    ['BigInt → decimal string', -(10n ** 30n), '-1000000000000000000000000000000'],
    ['top-level undefined → null', undefined, null],
    ['undefined in an array → null', [undefined, 1], [null, 1]],
    ['Uint8Array → base64 string', new Uint8Array([0, 1, 2, 253, 254, 255]), 'AAEC/f7/'],
    ['NaN → "NaN"', { n: NaN }, { n: 'NaN' }],
  ])('projects %s', (_label, value, expected) => {
    expect(decoded(jsonCodec, jsonCodec.encode(value))).toStrictEqual(expected);
  });

  it.each([
    ['not JSON', '{'],
    ['empty', ''],
    ['forbidden key', '{"a":{"__proto__":{"x":1}}}'],
    ['constructor key', '[{"constructor":1}]'],
    ['too deep', `${'['.repeat(65)}${']'.repeat(65)}`],
  ])('refuses a payload: %s', (_label, text) => {
    const result = jsonCodec.decode(text);
    assert(!result.ok);
    expect(result.error).toBeInstanceOf(ProtocolError);
    expect(result.error.code).toBe(ErrorCode.PAYLOAD_INVALID);
    expect(jsonCodec.check(text)?.code).toBe(ErrorCode.PAYLOAD_INVALID);
  });
});

describe('transcode, selectCodec, subprotocolFor', () => {
  it('superjson → json gives the plain JSON projection', () => {
    const value = { d: new Date(0), m: new Map([[1, 'a']]), s: new Set([2]), b: 10n, list: [undefined, -0, Infinity] };
    const text = transcode(superjsonCodec.encode(value), superjsonCodec, jsonCodec);
    expect(JSON.parse(text)).toStrictEqual({
      d: '1970-01-01T00:00:00.000Z',
      m: [[1, 'a']],
      s: [2],
      b: '10',
      list: [null, '-0', 'Infinity'],
    });
    expect(transcode(superjsonCodec.encode(undefined), superjsonCodec, jsonCodec)).toBe('null');
  });

  it('json → superjson decodes to the same plain value', () => {
    for (const value of [{ a: [1, 'x', null] }, [], 'str', 0, null, true]) {
      const text = transcode(jsonCodec.encode(value), jsonCodec, superjsonCodec);
      expect(decoded(superjsonCodec, text)).toStrictEqual(value);
    }
  });

  it('with the same codec returns the identical string', () => {
    for (const text of ['{"json":1}', '{"json":{"a":"x"},"meta":{"values":{"a":["Date"]},"v":1}}', 'not even JSON']) {
      expect(transcode(text, superjsonCodec, superjsonCodec)).toBe(text);
      expect(transcode(text, jsonCodec, jsonCodec)).toBe(text);
    }
  });

  it('selectCodec follows the client offer order and skips foreign or unknown protocols', () => {
    const codecs = [superjsonCodec, jsonCodec];
    expect(selectCodec(['herald.v1.json', 'herald.v1.superjson'], codecs)).toBe(jsonCodec);
    expect(selectCodec(['herald.v1.superjson', 'herald.v1.json'], codecs)).toBe(superjsonCodec);
    expect(selectCodec(['chat', 'herald.v2.json', 'herald.v1.msgpack', 'herald.v1.superjson'], codecs)).toBe(superjsonCodec);
    expect(selectCodec(['x.herald.v1.json', 'herald.v1.', 'herald.v1.jsonx'], codecs)).toBeUndefined();
    expect(selectCodec([], codecs)).toBeUndefined();
    expect(selectCodec(new Set(['herald.v1.json']), [superjsonCodec])).toBeUndefined();
    expect(selectCodec(new Set(['herald.v1.json']), codecs)).toBe(jsonCodec);
  });

  it('subprotocolFor names herald.v1.<codec>', () => {
    expect(subprotocolFor(superjsonCodec)).toBe('herald.v1.superjson');
    expect(subprotocolFor(jsonCodec)).toBe('herald.v1.json');
    expect(selectCodec([subprotocolFor(jsonCodec)], [superjsonCodec, jsonCodec])).toBe(jsonCodec);
  });
});
