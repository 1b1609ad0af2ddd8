import { fromBase64, toBase64 } from './base64.js';

/** A JSON value, as superjson types it. */
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The part of a superjson `SuperJSON` instance that {@link registerBinaryTypes} uses. */
export interface SuperjsonRegistry {
  registerCustom<I, O extends JsonValue>(
    transformer: { isApplicable: (v: unknown) => v is I; serialize: (v: I) => O; deserialize: (v: O) => I },
    name: string,
  ): void;
}

const TYPED_ARRAYS = [
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;
type TypedArray = InstanceType<(typeof TYPED_ARRAYS)[number]>;

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
  const typeOf = (v: unknown) => TYPED_ARRAYS.find((Type) => v instanceof Type);
  superjson.registerCustom<TypedArray, [string, string]>(
    {
      isApplicable: (v): v is TypedArray => typeOf(v) !== undefined,
      serialize: (v) => [typeOf(v)!.name, toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))],
      deserialize: ([name, data]) => {
        const Type = TYPED_ARRAYS.find((T) => T.name === name);
        if (Type === undefined) throw new TypeError(`unknown typed array "${name}"`);
        const bytes = fromBase64(data);
        if (bytes.byteLength % Type.BYTES_PER_ELEMENT !== 0) throw new TypeError(`${name} bytes of a wrong length`);
        return new Type(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / Type.BYTES_PER_ELEMENT);
      },
    },
    'TypedArray',
  );
}
