/**
 * superjson-fast-decode.ts, the plain-payload shortcut (`decodePlainText`): a payload `{"json":X}`
 * is read by parsing X alone, then checked by the fast walk (`jsonNestsTooDeepOrHasPrototypeKey`).
 * Differential properties on generated JSON *texts* (not values: white space, `\u` escapes in keys,
 * the three prototype keys and near misses of their lengths in any position, nesting around the
 * limit, envelopes with other members, `meta`, duplicates, truncations) prove that:
 * - whenever the shortcut answers, the answer is what `superjson.parse` gives and what the full
 *   guard accepts; it answers for every plain payload superjson writes;
 * - the codec's `decode` (shortcut first, then the usual path) accepts exactly what the full guard
 *   and superjson accept, with superjson's value, and refuses the rest with PAYLOAD_INVALID.
 */
import fc from 'fast-check';
import { SuperJSON } from 'superjson';
import { assert, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_ANNOTATIONS, type Codec } from './codec.js';
import { ErrorCode } from './errors.js';
import { jsonTreeProblem } from './payload-guard.js';
import { DEFAULT_MAX_BIGINT_LENGTH, DEFAULT_MAX_WORK_PER_BYTE, createSuperjsonCodec, superjsonCodec } from './superjson-codec.js';
import { UNTOUCHED, decodePlainText } from './superjson-fast-decode.js';
import { guardSuperjsonEnvelope } from './superjson-guard.js';

const sj = new SuperJSON();

/** White space JSON allows between tokens (and none, mostly). */
const ws = fc.oneof({ arbitrary: fc.constant(''), weight: 6 }, fc.constantFrom(' ', '\n', '\t', '\r\n '));

/** `\uXXXX` for one UTF-16 unit, in lower or upper case hex. */
const escapeUnit = (unit: string, upper: boolean): string => {
  const hex = unit.charCodeAt(0).toString(16).padStart(4, '0');
  return `\\u${upper ? hex.toUpperCase() : hex}`;
};

/**
 * Key and string texts: the three prototype keys, words of their lengths (9 and 11) that are not
 * them, and ordinary keys; written plainly, fully `\u`-escaped, or with the first unit escaped
 * (JSON.parse decodes escapes, so `"\u005f_proto__"` is `__proto__`).
 */
const WORDS = ['a', 'b', 'json', 'meta', 'v', '', '__proto__', 'constructor', 'prototype', '__proto_x', 'constructer', 'protozoan', 'prototypes', 'Prototype', 'é', '\u2028'];
const stringText = fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom('plain', 'plain', 'all', 'first'), fc.boolean()).map(([word, how, upper]) => {
  if (how === 'plain' || word === '') return JSON.stringify(word);
  if (how === 'all') return `"${[...word].map((unit) => escapeUnit(unit, upper)).join('')}"`;
  return `"${escapeUnit(word[0]!, upper)}${JSON.stringify(word.slice(1)).slice(1)}`;
});

/** JSON texts of small values, with white space and escaped keys. */
const { value: jsonText } = fc.letrec<{ value: string; leaf: string; array: string; object: string }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    { arbitrary: tie('leaf'), weight: 3 },
    { arbitrary: tie('array'), weight: 1 },
    { arbitrary: tie('object'), weight: 1 },
  ),
  leaf: fc.oneof(
    fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.string({ maxLength: 4 })).map((v) => JSON.stringify(v)),
    stringText,
  ),
  array: fc
    .tuple(fc.array(fc.tuple(ws, tie('value'), ws), { maxLength: 4 }), ws)
    .map(([items, inside]) => `[${items.length === 0 ? inside : items.map(([a, v, b]) => a + v + b).join(',')}]`),
  object: fc
    .tuple(fc.array(fc.tuple(ws, stringText, ws, ws, tie('value'), ws), { maxLength: 4 }), ws)
    .map(([members, inside]) => `{${members.length === 0 ? inside : members.map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`).join(',')}}`),
}));

/** Nesting around the default limit (64): a chain of 55 to 75 arrays and objects, keys mostly harmless, around a small value. */
const deepText = fc
  .record({
    depth: fc.integer({ min: 55, max: 75 }),
    levels: fc.array(fc.tuple(fc.boolean(), fc.oneof({ arbitrary: fc.constant('"a"'), weight: 12 }, stringText)), { minLength: 75, maxLength: 75 }),
    inner: jsonText,
  })
  .map(({ depth, levels, inner }) => {
    let text = inner;
    for (let i = 0; i < depth; i++) text = levels[i]![0] ? `[1,${text}]` : `{${levels[i]![1]}:${text}}`;
    return text;
  });

/** How a payload text may begin and end: mostly as superjson writes a plain one, sometimes not. */
const prefix = fc.oneof(
  { arbitrary: fc.constant('{"json":'), weight: 8 },
  fc.constantFrom('{ "json":', '{"json" :', '{"\\u006Ason":', '{"meta":null,"json":', '{"json":1,"json":', '{"jsonx":', '[', '{"json":{'),
);
const suffix = fc.oneof(
  { arbitrary: fc.constant('}'), weight: 8 },
  fc.constantFrom(
    ' }',
    '\n}',
    ',"meta":{"values":{"a":["Date"]},"v":1}}',
    ',"meta":{"values":{"":["undefined"]},"v":1}}',
    ',"meta":{"referentialEqualities":{"a":["b"]},"v":1}}',
    ',"meta":{"v":1}}',
    ',"meta":null}',
    ',"json":{"v":1}}',
    ',"x":{"__proto__":1}}',
    '',
    '}}',
    ']',
    '"v":1}}',
  ),
);
const payloadText = fc.tuple(prefix, fc.oneof({ arbitrary: jsonText, weight: 3 }, { arbitrary: deepText, weight: 1 }), suffix).map(([p, m, s]) => p + m + s);
/** Limits around the generated depths: tiny ones for the small values, the default and its neighbours for the chains. */
const maxDepth = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(64), fc.integer({ min: 55, max: 75 }));

function parsed(text: string): { envelope: unknown } | undefined {
  try {
    return { envelope: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

const codecs = new Map<number, Codec>();
const codecFor = (depth: number): Codec => {
  let codec = codecs.get(depth);
  if (codec === undefined) codecs.set(depth, (codec = createSuperjsonCodec({ maxDepth: depth })));
  return codec;
};

describe('decodePlainText: {"json":X} read by parsing X alone', () => {
  it('answers only with what superjson.parse gives and the full guard accepts, and answers for every plain payload superjson would write', () => {
    let answered = 0;
    fc.assert(
      fc.property(payloadText, maxDepth, (text, depth) => {
        const result = decodePlainText(text, depth);
        const json = parsed(text);
        if (result === UNTOUCHED) {
          // Every plain payload as superjson writes it (its text, without white space) that the guard accepts is answered here.
          if (json !== undefined && text === JSON.stringify(json.envelope) && !text.endsWith('"v":1}}')) {
            const envelope = json.envelope as Record<string, unknown>;
            const plain = typeof envelope === 'object' && envelope !== null && Object.keys(envelope).join() === 'json';
            if (plain) expect(jsonTreeProblem(envelope.json, depth), text).toBeDefined();
          }
          return;
        }
        answered++;
        assert(json !== undefined, `answered for a text that is not JSON: ${text}`);
        const envelope = json.envelope as Record<string, unknown>;
        expect(Object.keys(envelope)).toStrictEqual(['json']);
        expect(jsonTreeProblem(envelope.json, depth)).toBeUndefined();
        expect(result).toStrictEqual(envelope.json);
        expect(result).toStrictEqual(sj.parse(text));
      }),
      { numRuns: 3000 },
    );
    expect(answered).toBeGreaterThan(300);
  });

  it('the codec decodes exactly what the full guard and superjson accept, to superjson’s value, and refuses the rest with PAYLOAD_INVALID', () => {
    fc.assert(
      fc.property(payloadText, maxDepth, (text, depth) => {
        const limits = { maxDepth: depth, maxAnnotations: DEFAULT_MAX_ANNOTATIONS, maxWorkPerByte: DEFAULT_MAX_WORK_PER_BYTE, maxBigIntLength: DEFAULT_MAX_BIGINT_LENGTH };
        const codec = codecFor(depth);
        const result = codec.decode(text);
        const json = parsed(text);
        const refusal = json === undefined ? 'not JSON' : guardSuperjsonEnvelope(json.envelope, text.length, limits).problem;
        let expected: { value: unknown } | undefined;
        if (refusal === undefined) {
          try {
            expected = { value: sj.parse(text) };
          } catch {
            expected = undefined;
          }
        }
        // check() (what a router runs) refuses what the guard refuses.
        if (refusal !== undefined) expect(codec.check(text)?.code).toBe(ErrorCode.PAYLOAD_INVALID);
        if (expected === undefined) {
          assert(!result.ok, `decoded what the guard or superjson refuses: ${text}`);
          expect(result.error.code).toBe(ErrorCode.PAYLOAD_INVALID);
        } else {
          assert(result.ok, `refused ${text}: ${result.ok || result.error.message}`);
          expect(result.value).toStrictEqual(expected.value);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('answers for the plain payloads of the bench (a record, an array of records), and leaves annotated ones to the usual path', () => {
    // Fresh records: a shared one would make superjson write referentialEqualities.
    const record = (seq: number) => ({ seq, user: 'kirk', text: 'The quick brown fox', tags: ['bridge', 'captain'], score: 21.5, ok: true });
    // Near misses of the annotated ending `"v":1}}` are answered too.
    for (const value of [record(1), { items: [record(1), record(2)] }, [1, 'a'], 'text', 0, null, { v: 2 }, { w: 1 }, { v: 11 }, { a: { v: 1 } }, [{ v: 1 }]]) {
      const text = sj.stringify(value);
      expect(decodePlainText(text, 64)).toStrictEqual(value);
    }
    // A plain payload whose text ends like an annotated one is not tried, but still decodes.
    expect(decodePlainText('{"json":{"v":1}}', 64)).toBe(UNTOUCHED);
    const ended = superjsonCodec.decode('{"json":{"v":1}}');
    assert(ended.ok);
    expect(ended.value).toStrictEqual({ v: 1 });
    expect(decodePlainText(sj.stringify({ at: new Date(0) }), 64)).toBe(UNTOUCHED);
    // Refused ones go to the usual path, which says why.
    expect(decodePlainText('{"json":{"\\u005f_proto__":{"x":1}}}', 64)).toBe(UNTOUCHED);
    expect(superjsonCodec.decode('{"json":{"\\u005f_proto__":{"x":1}}}').ok).toBe(false);
  });
});
