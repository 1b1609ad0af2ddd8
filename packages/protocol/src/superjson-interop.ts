import { fromBase64, toBase64 } from './base64.js';
import { type TypedArray, typedArrayFromJson, typedArrayName, typedArrayToJson } from './superjson-format.js';

/** A JSON value, as superjson types it. */
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The part of a superjson `SuperJSON` instance that {@link registerBinaryTypes} uses. */
export interface SuperjsonRegistry {
  registerCustom<I, O extends JsonValue>(
    transformer: { isApplicable: (v: unknown) => v is I; serialize: (v: I) => O; deserialize: (v: O) => I },
    name: string,
  ): void;
}

/**
 * Registers Herald's binary types on a superjson instance, for a peer that speaks
 * `herald.v1.superjson` with the superjson library itself: Uint8Array and ArrayBuffer travel as
 * base64 strings, other typed arrays as `[name, base64 of their bytes]` (little-endian), exactly as
 * Herald's codec writes and reads them (PROTOCOL.md, section 4).
 */
export function registerBinaryTypes(superjson: SuperjsonRegistry): void {
  superjson.registerCustom<Uint8Array, string>(
    { isApplicable: (v): v is Uint8Array => v instanceof Uint8Array, serialize: toBase64, deserialize: fromBase64 },
    'Uint8Array',
  );
  superjson.registerCustom<ArrayBuffer, string>(
    {
      isApplicable: (v): v is ArrayBuffer => v instanceof ArrayBuffer,
      serialize: (v) => toBase64(new Uint8Array(v)),
      deserialize: (v) => fromBase64(v).buffer as ArrayBuffer,
    },
    'ArrayBuffer',
  );
  superjson.registerCustom<TypedArray, [string, string]>(
    {
      isApplicable: (v): v is TypedArray => typedArrayName(v) !== undefined,
      serialize: typedArrayToJson,
      deserialize: (json) => {
        const typed = typedArrayFromJson(json);
        if (typed === undefined) throw new TypeError(`not a typed array as Herald writes it: ${JSON.stringify(json).slice(0, 64)}`);
        return typed;
      },
    },
    'TypedArray',
  );
}
