/**
 * superjson-guard.ts: the check in front of every superjson decode (issue 11). No payload makes
 * superjson's `deserialize` do more than `maxWorkPerByte` steps per byte: the guard counts those
 * steps (its `work`) in one linear walk and refuses beyond the budget. The bound is proved by
 * counting, never by timing: pathological payloads (40,000 references, a meta bomb through a Set,
 * deep nesting) are refused with a count within the budget, and the guard's own count stays within
 * the budget for every payload, accepted or not.
 */
import fc from 'fast-check';
import { SuperJSON } from 'superjson';
import { assert, describe, expect, it } from 'vitest';
import { ErrorCode, VERBOSE_ERRORS } from './errors.js';
import { DEFAULT_MAX_BIGINT_LENGTH, DEFAULT_MAX_WORK_PER_BYTE, createSuperjsonCodec, superjsonCodec } from './superjson-codec.js';
import { type SuperjsonGuardLimits, guardSuperjsonEnvelope, parseSuperjsonPath } from './superjson-guard.js';

const LIMITS: SuperjsonGuardLimits = { maxDepth: 64, maxAnnotations: 100_000, maxWorkPerByte: DEFAULT_MAX_WORK_PER_BYTE, maxBigIntLength: DEFAULT_MAX_BIGINT_LENGTH };

function guard(text: string, limits: SuperjsonGuardLimits = LIMITS) {
  return guardSuperjsonEnvelope(JSON.parse(text), text.length, limits);
}

function payload(json: unknown, meta: { values?: unknown; referentialEqualities?: unknown } = {}): string {
  return JSON.stringify({ json, meta: { ...meta, v: 1 } });
}

/**
 * `problem` is a refusal, and (in builds with message texts: VERBOSE_ERRORS, not production
 * browser builds, which run these tests too) names `reason`.
 */
function expectProblem(problem: string | undefined, reason: RegExp): void {
  expect(problem).toBeTypeOf('string');
  if (VERBOSE_ERRORS) expect(problem).toMatch(reason);
}

/** Decode refuses `text` with PAYLOAD_INVALID, check refuses it too, and neither throws. */
function expectRefused(text: string): string {
  const result = superjsonCodec.decode(text);
  assert(!result.ok, `decode accepted ${text.slice(0, 120)}`);
  expect(result.error.code).toBe(ErrorCode.PAYLOAD_INVALID);
  expect(superjsonCodec.check(text)?.code).toBe(ErrorCode.PAYLOAD_INVALID);
  return result.error.message;
}

describe('pathological payloads: refused, with the work counted bounded by the payload', () => {
  it('40,000 reference copies pointing into a 40,000-element Set (superjson: quadratic, seconds)', () => {
    const n = 40_000;
    const text = payload(
      { s: Array.from({ length: n }, (_, i) => i), o: {} },
      { values: { s: ['set'] }, referentialEqualities: { o: Array.from({ length: n }, (_, i) => `s.${i}`) } },
    );
    const report = guard(text);
    expectProblem(report.problem, /steps per byte/);
    // The guard stopped at the budget: its own work is linear in the payload.
    expect(report.work).toBeLessThanOrEqual(DEFAULT_MAX_WORK_PER_BYTE * text.length + 2 * n);
    expectRefused(text);
  });

  it('40,000 copies of one path pointing at null (the 700 KB publish of issue 11) cost a few steps per byte', () => {
    const n = 40_000;
    const deep = 'a.'.repeat(8) + 'x';
    let json: unknown = { x: null };
    for (let i = 0; i < 8; i++) json = { a: json };
    const text = payload({ ...(json as object), o: { p: 1 } }, { referentialEqualities: { o: Array(n).fill(deep) } });
    const report = guard(text);
    expect(report.problem).toBeUndefined();
    expect(report.work).toBeLessThanOrEqual(4 * text.length);
    expect(superjsonCodec.decode(text).ok).toBe(true);
  });

  it("superjson's meta bomb: annotations through a Set an earlier annotation converted", () => {
    const n = 40_000;
    const values: Record<string, unknown> = { s: ['set'] };
    for (let i = 0; i < n; i++) values[`s.${i}`] = ['undefined'];
    const text = payload({ s: Array.from({ length: n }, (_, i) => i) }, { values });
    const report = guard(text);
    expectProblem(report.problem, /converted value/);
    expect(report.work).toBeLessThanOrEqual(DEFAULT_MAX_WORK_PER_BYTE * text.length);
    expectRefused(text);
  });

  it('an annotation tree nested 10,000 deep (superjson recurses over it) is refused at maxDepth', () => {
    const text = `{"json":null,"meta":{"values":${'{"a":'.repeat(10_000)}["undefined"]${'}'.repeat(10_000)},"v":1}}`;
    const report = guard(text);
    expectProblem(report.problem, /longer than 64 keys/);
    expect(report.work).toBeLessThanOrEqual(64 * 64);
    expectRefused(text);
  });

  it('JSON nested 100,000 deep is refused at maxDepth after at most one step per byte', () => {
    const text = `{"json":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const report = guard(text);
    expectProblem(report.problem, /deeper than 64/);
    expect(report.work).toBeLessThanOrEqual(text.length);
    expectRefused(text);
  });

  it('a path longer than the JSON is deep, or naming an index far past the end, names nothing', () => {
    expectProblem(expectRefused(payload({ a: [] }, { referentialEqualities: { a: ['a.4294967294'] } })), /not in the value/);
    expectProblem(expectRefused(payload([null], { values: { '0.x': ['undefined'] } })), /not in the value/);
  });

  it(`a BigInt longer than ${DEFAULT_MAX_BIGINT_LENGTH} digits (V8 parses them in superlinear time)`, () => {
    expect(superjsonCodec.decode(payload('9'.repeat(DEFAULT_MAX_BIGINT_LENGTH), { values: ['bigint'] })).ok).toBe(true);
    expectProblem(expectRefused(payload('9'.repeat(DEFAULT_MAX_BIGINT_LENGTH + 1), { values: ['bigint'] })), /bigint longer/);
  });

  it('more annotations or reference paths than maxAnnotations', () => {
    const codec = createSuperjsonCodec({ maxAnnotations: 3 });
    expect(codec.decode(payload([null, null, null], { values: { 0: ['undefined'], 1: ['undefined'], 2: ['undefined'] } })).ok).toBe(true);
    expect(codec.decode(payload([null, null, null, null], { values: { 0: ['undefined'], 1: ['undefined'], 2: ['undefined'], 3: ['undefined'] } })).ok).toBe(false);
    expect(codec.decode(payload([{}, {}, {}, {}], { referentialEqualities: { 0: ['1', '2', '3'] } })).ok).toBe(false);
  });

  it('the work budget is configurable: maxWorkPerByte', () => {
    const text = payload({ s: Array.from({ length: 300 }, (_, i) => i), o: {} }, { values: { s: ['set'] }, referentialEqualities: { o: ['s.299', 's.298'] } });
    expect(superjsonCodec.decode(text).ok).toBe(true);
    const strict = createSuperjsonCodec({ maxWorkPerByte: 1 });
    expect(strict.decode(text).ok).toBe(false);
  });

  it('a reference path through a Set by a key that is no index is refused, not counted as NaN (fast-check seed 1828177086)', () => {
    // +'b' is NaN: the count became NaN, and `NaN > budget` is false, which switched the budget off.
    // superjson cannot make a Set of the object {"b":0} either (it throws).
    const text = '{"json":{"b":0},"meta":{"values":["set"],"referentialEqualities":[["b"]]}}';
    expect(guard(text).problem).toBeTypeOf('string');
    expect(superjsonCodec.decode(text).ok).toBe(false);
    expect(() => SuperJSON.parse(text)).toThrow();
  });
});

describe('prototype keys never pollute', () => {
  it.each([
    ['__proto__ in json', '{"json":{"__proto__":{"polluted":1}}}'],
    ['constructor in json', '{"json":[{"constructor":{"prototype":{"polluted":1}}}]}'],
    ['__proto__ in an annotation path', payload({ a: 1 }, { values: { '__proto__.polluted': ['undefined'] } })],
    ['constructor.prototype in a reference path', payload({ a: {} }, { referentialEqualities: { a: ['constructor.prototype.polluted'] } })],
  ])('%s is refused', (_label, text) => {
    expectRefused(text);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  // superjson reads only json and meta (and in meta only values, referentialEqualities and v):
  // other keys are never read nor copied, so Herald ignores them as superjson does.
  it.each([
    ['__proto__ as an envelope key', '{"json":1,"__proto__":{"polluted":1}}'],
    ['__proto__ as a meta key', '{"json":1,"meta":{"__proto__":{"polluted":1}}}'],
    ['constructor as a meta key', '{"json":{"a":"1"},"meta":{"values":{"a":["bigint"]},"constructor":{"prototype":{"polluted":1}}}}'],
  ])('%s is ignored, as superjson ignores it', (_label, text) => {
    const result = superjsonCodec.decode(text);
    assert(result.ok);
    expect(result.value).toStrictEqual(new SuperJSON().parse(text));
    expect(superjsonCodec.check(text)).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseSuperjsonPath is superjson 2.2.6 parsePath', () => {
  it('splits on dots and unescapes \\. and \\\\ (legacy: \\. only)', () => {
    expect(parseSuperjsonPath('a\\.b.c\\\\d', false)).toStrictEqual(['a.b', 'c\\d']);
    expect(parseSuperjsonPath('', false)).toStrictEqual(['']);
    expect(parseSuperjsonPath('a\\b.c', true)).toStrictEqual(['a\\b', 'c']);
    expect(() => parseSuperjsonPath('a\\b', false)).toThrow();
  });
});

describe('the guard is linear on every input and accepts what superjson writes', () => {
  const sj = new SuperJSON();
  const value = fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof(
      { maxDepth: 5, depthSize: 'small' },
      fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constantFrom(undefined, Number.NaN, -0, null), fc.bigInt(), fc.date({ noInvalidDate: true })),
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(fc.constantFrom('a', 'b.c', '0', '1', '\\'), tie('v'), { maxKeys: 3, noNullPrototype: true }),
      fc.array(tie('v'), { maxLength: 4 }).map((items) => new Set(items)),
      fc.array(fc.tuple(tie('v'), tie('v')), { maxLength: 3 }).map((entries) => new Map(entries)),
    ),
  })).v;

  it('accepts superjson output, with work at most maxWorkPerByte per byte', () => {
    fc.assert(
      fc.property(value, (v) => {
        const text = sj.stringify(v);
        const report = guard(text);
        expect(report.problem).toBeUndefined();
        expect(report.work).toBeLessThanOrEqual(DEFAULT_MAX_WORK_PER_BYTE * text.length);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on arbitrary envelopes and metas, and its work stays within budget', () => {
    const path = fc.array(fc.constantFrom('0', '1', 'a', 'b', '__proto__', '99', 'x\\.y', ''), { maxLength: 6 }).map((p) => p.join('.'));
    const tree = fc.letrec<{ t: unknown }>((tie) => ({
      t: fc.oneof({ maxDepth: 4 }, fc.tuple(fc.constantFrom('set', 'map', 'undefined', 'bigint', 'Date', 'bogus', ['custom', 'x'])), fc.dictionary(path, tie('t'), { maxKeys: 3 }), fc.constantFrom(null, 1, 'str')),
    })).t;
    const envelope = fc.record(
      { json: fc.jsonValue({ maxDepth: 4 }), meta: fc.record({ values: tree, referentialEqualities: fc.oneof(fc.dictionary(path, fc.array(path)), fc.tuple(fc.array(path))), v: fc.constantFrom(1, 0, undefined) }, { requiredKeys: [] }) },
      { requiredKeys: ['json'] },
    );
    fc.assert(
      fc.property(envelope, (e) => {
        const text = JSON.stringify(e);
        const report = guard(text);
        expect(report.work).toBeLessThanOrEqual(DEFAULT_MAX_WORK_PER_BYTE * text.length + 200);
        expect(() => superjsonCodec.decode(text)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
