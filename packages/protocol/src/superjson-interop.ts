/**
 * Herald's binary types for superjson: bytes travel as base64 text (a third of the size of
 * superjson's own `typed-array` annotation, an array of numbers), as registered custom types with
 * fixed names, so any superjson peer that registers them reads and writes Herald's binary values.
 */
import { fromBase64, toBase64 } from './base64.js';
import { VERBOSE_ERRORS } from './errors.js';

/** A JSON value, as superjson types it. */
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The part of a superjson `SuperJSON` instance that {@link registerBinaryTypes} uses. */
export interface SuperjsonRegistry {
  registerCustom<I, O extends JsonValue>(
    transformer: { isApplicable: (v: unknown) => v is I; serialize: (v: I) => O; deserialize: (v: O) => I },
    name: string,
  ): void;
}

/** Typed arrays other than Uint8Array, by the name Herald's `TypedArray` type gives them. */
const TYPED_ARRAYS = {
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
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;
type TypedArray = InstanceType<(typeof TYPED_ARRAYS)[TypedArrayName]>;

/** The names of Herald's binary custom types, as they appear in `["custom", name]` annotations. */
export const BINARY_TYPE_NAMES = ['Uint8Array', 'ArrayBuffer', 'TypedArray'] as const;

function typedArrayName(view: unknown): TypedArrayName | undefined {
  if (!ArrayBuffer.isView(view)) return undefined;
  for (const name of Object.keys(TYPED_ARRAYS) as TypedArrayName[]) if (view instanceof TYPED_ARRAYS[name]) return name;
  return undefined;
}

const isUint8Array = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const isArrayBuffer = (v: unknown): v is ArrayBuffer => v instanceof ArrayBuffer;
const isTypedArray = (v: unknown): v is TypedArray => typedArrayName(v) !== undefined;

function typedArrayToJson(view: TypedArray): [string, string] {
  return [typedArrayName(view)!, toBase64(new Uint8Array(view.buffer, view.byteOffset, view.byteLength))];
}

function typedArrayFromJson(json: [string, string]): TypedArray {
  if (!Array.isArray(json) || json.length !== 2 || typeof json[1] !== 'string' || !Object.hasOwn(TYPED_ARRAYS, json[0])) {
    throw new TypeError(VERBOSE_ERRORS ? 'not a typed array as Herald writes it: [name, base64]' : 'TypedArray');
  }
  const Type = TYPED_ARRAYS[json[0] as TypedArrayName];
  const bytes = fromBase64(json[1]);
  if (bytes.byteLength % Type.BYTES_PER_ELEMENT !== 0) throw new TypeError(VERBOSE_ERRORS ? `${json[0]}: the byte count is not a multiple of its element size` : json[0]);
  return new Type(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / Type.BYTES_PER_ELEMENT);
}

/** The `isApplicable` functions registered by {@link registerBinaryTypes}, by name (so the codec can recognise them). */
export const BINARY_TYPE_TESTS: ReadonlyMap<string, (v: unknown) => boolean> = new Map<string, (v: unknown) => boolean>([
  ['Uint8Array', isUint8Array],
  ['ArrayBuffer', isArrayBuffer],
  ['TypedArray', isTypedArray],
]);

/**
 * Registers Herald's binary types on a superjson instance, in one call, for a peer that speaks
 * `herald.v1.superjson` with the superjson library itself (a tRPC server, a worker):
 *
 * | custom type    | JSON                                         |
 * | -------------- | -------------------------------------------- |
 * | `Uint8Array`   | padded base64 of the bytes (a Node `Buffer` too) |
 * | `ArrayBuffer`  | padded base64 of the bytes                   |
 * | `TypedArray`   | `[name, base64 of its bytes, little-endian]` for the other typed arrays |
 *
 * Herald's superjson codec registers them on the instance it is given (PROTOCOL.md, section 4).
 *
 * @example
 * import { SuperJSON } from 'superjson';
 * import { registerBinaryTypes } from '@herald/protocol';
 * const superjson = new SuperJSON();
 * registerBinaryTypes(superjson);
 */
export function registerBinaryTypes(superjson: SuperjsonRegistry): void {
  superjson.registerCustom<Uint8Array, string>({ isApplicable: isUint8Array, serialize: toBase64, deserialize: fromBase64 }, 'Uint8Array');
  superjson.registerCustom<ArrayBuffer, string>(
    {
      isApplicable: isArrayBuffer,
      serialize: (v) => toBase64(new Uint8Array(v)),
      deserialize: (v) => fromBase64(v).buffer as ArrayBuffer,
    },
    'ArrayBuffer',
  );
  superjson.registerCustom<TypedArray, [string, string]>({ isApplicable: isTypedArray, serialize: typedArrayToJson, deserialize: typedArrayFromJson }, 'TypedArray');
}

/**
 * The `["custom", name]` annotation and JSON that Herald's binary types give `value` (as superjson
 * would, with them registered first), or undefined when `value` is not one of them.
 */
export function binaryToJson(value: object): [name: string, json: string | [string, string]] | undefined {
  if (isUint8Array(value)) return ['Uint8Array', toBase64(value)];
  if (isArrayBuffer(value)) return ['ArrayBuffer', toBase64(new Uint8Array(value))];
  if (isTypedArray(value)) return ['TypedArray', typedArrayToJson(value)];
  return undefined;
}
