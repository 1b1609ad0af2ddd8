import { describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from './errors.js';
import { superjsonCodec } from './superjson-codec.js';
import { metaProblem, parsePath } from './superjson-guard.js';

const limits = { maxDepth: 64, maxAnnotations: 1000 };
const refused = (text: string): string | undefined => {
  const result = superjsonCodec.decode(text);
  return result.ok ? undefined : result.error.code;
};

describe('superjson meta guard', () => {
  it('parses superjson 2 paths, refusing stray escapes', () => {
    expect(parsePath('a.b')).toEqual(['a', 'b']);
    expect(parsePath('a\\.b.c')).toEqual(['a.b', 'c']);
    expect(parsePath('a\\\\.b')).toEqual(['a\\', 'b']);
    expect(parsePath('')).toEqual(['']);
    expect(parsePath('a\\x')).toBeUndefined();
  });

  it('accepts what superjson itself writes: shared references and cycles', () => {
    const shared = { deep: { n: 1 } };
    const decoded = superjsonCodec.decode(superjsonCodec.encode({ a: shared, b: shared, when: new Date(0) }));
    if (!decoded.ok) throw decoded.error;
    const value = decoded.value as { a: object; b: object; when: Date };
    expect(value.a).toBe(value.b);
    expect(value.when).toEqual(new Date(0));

    const cyclic: { name: string; self?: unknown } = { name: 'loop' };
    cyclic.self = cyclic;
    const back = superjsonCodec.decode(superjsonCodec.encode(cyclic));
    if (!back.ok) throw back.error;
    const loop = back.value as { self: unknown };
    expect(loop.self).toBe(loop);
  });

  it('refuses a billion-laughs graph of references pointing at nulls', () => {
    // 20 levels of [x, x] where each x is a reference to the level below: 2^20 leaves from ~1 KB.
    const levels = 20;
    const json: Record<string, unknown> = { l0: [1, 1] };
    const references: Record<string, string[]> = {};
    for (let i = 1; i <= levels; i++) {
      json[`l${i}`] = [null, null];
      references[`l${i - 1}`] = [`l${i}.0`, `l${i}.1`];
    }
    const text = JSON.stringify({ json, meta: { referentialEqualities: references, v: 1 } });
    expect(refused(text)).toBe(ErrorCode.PAYLOAD_INVALID);
    expect(metaProblem(json, { referentialEqualities: references, v: 1 }, limits)).toMatch(/copy of its original/);
  });

  it('refuses annotation paths that are not in the value', () => {
    expect(refused('{"json":{"a":[]},"meta":{"values":{"a.4294967294":["undefined"]},"v":1}}')).toBe(ErrorCode.PAYLOAD_INVALID);
    expect(refused('{"json":{"a":[]},"meta":{"values":{"a":["set",{"100000000":["undefined"]}]},"v":1}}')).toBe(
      ErrorCode.PAYLOAD_INVALID,
    );
    expect(refused('{"json":{"a":{}},"meta":{"values":{"a.b":["Date"]},"v":1}}')).toBe(ErrorCode.PAYLOAD_INVALID);
  });

  it('refuses metas without superjson 2 paths (v: 1)', () => {
    expect(refused('{"json":"2020-01-01T00:00:00.000Z","meta":{"values":["Date"]}}')).toBe(ErrorCode.PAYLOAD_INVALID);
    expect(refused('{"json":"2020-01-01T00:00:00.000Z","meta":{"values":["Date"],"v":1}}')).toBeUndefined();
  });

  it('carries typed arrays exactly, NaN, infinities, -0 and 64-bit integers included', () => {
    const floats = new Float64Array([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1.5]);
    const big = new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]);
    const decoded = superjsonCodec.decode(superjsonCodec.encode({ floats, big, sub: new Int16Array([1, -2]).subarray(1) }));
    if (!decoded.ok) throw decoded.error;
    const value = decoded.value as { floats: Float64Array; big: BigInt64Array; sub: Int16Array };
    expect(value.floats).toBeInstanceOf(Float64Array);
    expect([...value.floats].map((n) => Object.is(n, -0) ? '-0' : String(n))).toEqual(['NaN', 'Infinity', '-Infinity', '-0', '1.5']);
    expect(value.big).toStrictEqual(big);
    expect(value.sub).toStrictEqual(new Int16Array([-2]));
  });

  it('refuses to encode what JSON would silently drop', () => {
    for (const value of [() => 1, Symbol('s'), { fn: () => 1 }, [Symbol('s')]]) {
      expect(() => superjsonCodec.encode(value)).toThrow(ProtocolError);
      try {
        superjsonCodec.encode(value);
      } catch (error) {
        expect((error as ProtocolError).code).toBe(ErrorCode.PAYLOAD_UNENCODABLE);
      }
    }
  });
});
