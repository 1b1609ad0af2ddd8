/**
 * superjson's JSON projection (the `json` half of its envelope, without `meta`) for the json codec,
 * written with one `JSON.stringify` and a replacer, so that a page using only the json codec ships
 * no superjson: a Date as its ISO string, a Map as `[key, value]` pairs, a Set as an array, a BigInt
 * as a decimal string, undefined as null, NaN/±Infinity/-0 as strings, a RegExp as its source text,
 * an Error as `{name, message}`, bytes as base64 (typed arrays as `[name, base64]`).
 */
import { toBase64 } from './base64.js';
import { FORBIDDEN_KEYS } from './payload-guard.js';

function project(this: unknown, _key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'undefined':
      return null;
    case 'bigint':
      return value.toString();
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      if (value === Infinity) return 'Infinity';
      if (value === -Infinity) return '-Infinity';
      return Object.is(value, -0) ? '-0' : value;
    case 'object':
      if (value === null || Array.isArray(value)) return value;
      if (value instanceof Map) return [...value.entries()];
      if (value instanceof Set) return [...value.values()];
      if (value instanceof RegExp) return String(value);
      if (value instanceof Error) return { name: value.name, message: value.message, ...('cause' in value ? { cause: value.cause } : {}) };
      if (value instanceof Uint8Array) return toBase64(value);
      if (value instanceof ArrayBuffer) return toBase64(new Uint8Array(value));
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        return [value.constructor.name, toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))];
      }
      return value;
    default:
      return value;
  }
}

/**
 * `value` as superjson's JSON projection, as JSON text. Throws a TypeError on cycles, on a
 * prototype key (`__proto__`, `constructor`, `prototype`) and on nesting deeper than `maxDepth`,
 * which receivers would refuse.
 */
export function stringifyJsonProjection(value: unknown, maxDepth: number): string {
  const depths = new Map<unknown, number>();
  return (
    JSON.stringify(value, function (this: unknown, key: string, item: unknown): unknown {
      if (FORBIDDEN_KEYS.has(key) && !Array.isArray(this)) throw new TypeError(`forbidden key "${key}"`);
      const projected = project.call(this, key, item);
      if (typeof projected === 'object' && projected !== null) {
        const depth = (depths.get(this) ?? 0) + 1;
        if (depth > maxDepth) throw new TypeError(`nesting deeper than ${maxDepth} levels`);
        depths.set(projected, depth);
      }
      return projected;
    }) ?? 'null'
  );
}
