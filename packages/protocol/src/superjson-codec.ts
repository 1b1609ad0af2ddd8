import { SuperJSON } from 'superjson';
import { fromBase64, toBase64 } from './base64.js';
import { type Codec, DEFAULT_MAX_ANNOTATIONS, DEFAULT_MAX_DEPTH, type DecodeLimits } from './codec.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { isPlainJson, jsonTreeProblem, jsonValueProblem } from './payload-guard.js';
import { type Result, err, ok } from './result.js';
import { metaProblem } from './superjson-guard.js';

/** Options of {@link createSuperjsonCodec}. */
export interface SuperjsonCodecOptions extends DecodeLimits {
  /**
   * The SuperJSON instance to use, for apps that register their own classes or custom types.
   * Herald registers its binary types on it. Default: a private instance.
   */
  superjson?: SuperJSON;
}

type Envelope = { json: unknown; meta?: Record<string, unknown> };


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

/**
 * Registers Herald's binary types on a SuperJSON instance: Uint8Array and ArrayBuffer travel as
 * base64 strings, other typed arrays as `[name, base64 of their bytes]` (little-endian), so bytes
 * cost no more than base64 and NaN, ±Infinity, -0 and 64-bit integers survive.
 */
export function registerBinaryTypes(sj: SuperJSON): void {
  sj.registerCustom<Uint8Array, string>(
    {
      isApplicable: (v): v is Uint8Array => v instanceof Uint8Array,
      serialize: (v) => toBase64(v),
      deserialize: (v) => fromBase64(v),
    },
    'Uint8Array',
  );
  sj.registerCustom<ArrayBuffer, string>(
    {
      isApplicable: (v): v is ArrayBuffer => v instanceof ArrayBuffer,
      serialize: (v) => toBase64(new Uint8Array(v)),
      deserialize: (v) => fromBase64(v).buffer as ArrayBuffer,
    },
    'ArrayBuffer',
  );
  sj.registerCustom<TypedArray, [string, string]>(
    {
      isApplicable: (v): v is TypedArray => ArrayBuffer.isView(v) && typedArrayName(v) !== undefined,
      serialize: (v) => [typedArrayName(v)!, toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))],
      deserialize: (v) => {
        const [name, data] = v;
        if (!Object.hasOwn(TYPED_ARRAYS, name)) throw new TypeError(`unknown typed array "${name}"`);
        const Type = TYPED_ARRAYS[name as TypedArrayName];
        const bytes = fromBase64(data);
        if (bytes.byteLength % Type.BYTES_PER_ELEMENT !== 0) throw new TypeError(`${name} bytes of a wrong length`);
        return new Type(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / Type.BYTES_PER_ELEMENT);
      },
    },
    'TypedArray',
  );
}

function typedArrayName(view: ArrayBufferView): TypedArrayName | undefined {
  for (const name of Object.keys(TYPED_ARRAYS) as TypedArrayName[]) {
    if (view instanceof TYPED_ARRAYS[name]) return name;
  }
  return undefined;
}

/**
 * The superjson codec (`herald.v1.superjson`): Date, Map, Set, BigInt, undefined, RegExp, Error,
 * URL, NaN, ±Infinity, -0, Uint8Array, ArrayBuffer and the other typed arrays keep their types. Payloads are
 * superjson's `{"json":…,"meta":…}`; plain-JSON values skip superjson on both ends.
 */
export function createSuperjsonCodec(options: SuperjsonCodecOptions = {}): Codec {
  const sj = options.superjson ?? new SuperJSON();
  registerBinaryTypes(sj);
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const limits = { maxDepth, maxAnnotations: options.maxAnnotations ?? DEFAULT_MAX_ANNOTATIONS };

  const parseEnvelope = (text: string): Result<Envelope, ProtocolError> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return invalid('the payload is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('json' in parsed)) {
      return invalid('a superjson payload is an object {"json": …, "meta"?: …}');
    }
    const envelope = parsed as Record<string, unknown>;
    for (const key in envelope) {
      if (key !== 'json' && key !== 'meta') return invalid(`unexpected key "${key}" in the payload envelope`);
    }
    const problem = jsonTreeProblem(envelope.json, maxDepth);
    if (problem !== undefined) return invalid(`the payload has ${problem}`);
    if (envelope.meta !== undefined) {
      const refused = metaProblem(envelope.json, envelope.meta, limits);
      if (refused !== undefined) return invalid(`the payload's meta is refused: ${refused}`);
    }
    return ok(envelope as Envelope);
  };

  return {
    name: 'superjson',
    encode(value) {
      if (isPlainJson(value, maxDepth)) return `{"json":${JSON.stringify(value)}}`;
      let envelope: Envelope;
      let text: string;
      try {
        envelope = sj.serialize(value) as Envelope;
        text = JSON.stringify(envelope);
      } catch (cause) {
        throw unencodable(`superjson cannot encode this value: ${String(cause)}`, cause);
      }
      // Refuse here what every receiver would refuse, so that the publisher is the one told.
      const problem =
        jsonValueProblem(envelope.json, maxDepth) ??
        (envelope.meta === undefined ? undefined : metaProblem(envelope.json, envelope.meta, limits));
      if (problem !== undefined) throw unencodable(`the value has ${problem}`);
      return text;
    },
    decode(text) {
      const parsed = parseEnvelope(text);
      if (!parsed.ok) return parsed;
      const { json, meta } = parsed.value;
      if (meta === undefined) return ok(json);
      try {
        return ok(sj.deserialize({ json: json as never, meta: meta as never }, { inPlace: true }));
      } catch (cause) {
        return err(new ProtocolError(ErrorCode.PAYLOAD_INVALID, `superjson refused the payload: ${String(cause)}`, { cause }));
      }
    },
    check(text) {
      const parsed = parseEnvelope(text);
      return parsed.ok ? undefined : parsed.error;
    },
    toPlainJson(text) {
      const parsed = parseEnvelope(text);
      if (!parsed.ok) throw parsed.error;
      return JSON.stringify(parsed.value.json) ?? 'null';
    },
    fromPlainJson(text) {
      return `{"json":${text}}`;
    },
  };
}

/** The default superjson codec. */
export const superjsonCodec: Codec = createSuperjsonCodec();

function unencodable(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError(ErrorCode.PAYLOAD_UNENCODABLE, message, cause === undefined ? {} : { cause });
}

function invalid(message: string): Result<never, ProtocolError> {
  return err(new ProtocolError(ErrorCode.PAYLOAD_INVALID, message));
}
