import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiteralError, formatLiteral, parseLiteral, toJson } from '../src/literal.js';

describe('parseLiteral', () => {
  it('reads every documented form', () => {
    expect(parseLiteral('42')).toBe(42);
    expect(parseLiteral('-1.5e3')).toBe(-1500);
    expect(parseLiteral('.5')).toBe(0.5);
    expect(parseLiteral('0xff')).toBe(255);
    expect(parseLiteral('NaN')).toBeNaN();
    expect(parseLiteral('-Infinity')).toBe(Number.NEGATIVE_INFINITY);
    expect(parseLiteral('12345678901234567890n')).toBe(12345678901234567890n);
    expect(parseLiteral('-5n')).toBe(-5n);
    expect(parseLiteral(`'it\\'s'`)).toBe("it's");
    expect(parseLiteral('"a\\nb\\u0041"')).toBe('a\nbA');
    expect(parseLiteral('[true, false, null, undefined,]')).toStrictEqual([true, false, null, undefined]);
    expect(parseLiteral('{ celsius: 21.5, "room name": \'hall\', 3: 1 }')).toStrictEqual({ celsius: 21.5, 'room name': 'hall', '3': 1 });
    expect(parseLiteral('Date("2026-12-06T10:00:00Z")')).toStrictEqual(new Date('2026-12-06T10:00:00Z'));
    expect(parseLiteral('new Date(0)')).toStrictEqual(new Date(0));
    expect(parseLiteral('Map([["a", 1], [2n, Set([1])]])')).toStrictEqual(new Map<unknown, unknown>([['a', 1], [2n, new Set([1])]]));
    expect(parseLiteral('Map()')).toStrictEqual(new Map());
    expect(parseLiteral('Uint8Array([1, 2, 255])')).toStrictEqual(Uint8Array.from([1, 2, 255]));
    expect(parseLiteral('RegExp("^a+$", "i")')).toStrictEqual(/^a+$/i);
  });

  it('refuses what it does not know, with a position, and never evaluates', () => {
    for (const bad of ['hello', 'process.exit(1)', '{a:1', '[1 2]', 'Date("nope")', '1.5n', '{__proto__: 1}', '"open', 'Map([1])', 'Uint8Array([256])', '1 2', '']) {
      expect(() => parseLiteral(bad), bad).toThrow(LiteralError);
    }
    expect(() => parseLiteral('[1, 2] x')).toThrow(/character 8/);
  });

  it('nests at most 64 deep', () => {
    expect(() => parseLiteral('['.repeat(100) + ']'.repeat(100))).toThrow(LiteralError);
  });
});

describe('formatLiteral', () => {
  it('prints what parseLiteral reads back (property)', () => {
    const leaf = fc.oneof(
      fc.double(),
      fc.bigInt(),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.date({ noInvalidDate: true }),
      fc.uint8Array({ maxLength: 4 }),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.string().filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)), tie('node'), { maxKeys: 3, noNullPrototype: true }), fc.array(tie('node'), { maxLength: 3 }).map((a) => new Set(a)), fc.array(fc.tuple(fc.string(), tie('node')), { maxLength: 3 }).map((e) => new Map(e))),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(parseLiteral(formatLiteral(v))).toStrictEqual(v);
      }),
    );
  });

  it('reads like code', () => {
    expect(formatLiteral({ at: new Date(0), tags: new Map([['room', 'hall']]), n: 2n, 'x-y': [1, undefined] })).toBe(
      '{ at: Date("1970-01-01T00:00:00.000Z"), tags: Map([["room", "hall"]]), n: 2n, "x-y": [1, undefined] }',
    );
  });
});

describe('toJson', () => {
  it('projects rich types onto JSON', () => {
    expect(toJson({ at: new Date(0), n: 2n, m: new Map([['a', 1]]), k: new Map([[1, 2]]), s: new Set([1]), u: undefined })).toBe(
      '{"at":"1970-01-01T00:00:00.000Z","n":"2","m":{"a":1},"k":[[1,2]],"s":[1],"u":null}',
    );
  });
});
