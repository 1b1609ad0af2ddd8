import { SuperJSON } from 'superjson';
import { fromBase64, toBase64 } from './base64.js';
import { type Codec, DEFAULT_MAX_ANNOTATIONS, DEFAULT_MAX_DEPTH, type DecodeLimits } from './codec.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { isPlainJson, jsonTreeProblem } from './payload-guard.js';
import { type Result, err, ok } from './result.js';

/** Options of {@link createSuperjsonCodec}. */
export interface SuperjsonCodecOptions extends DecodeLimits {
  /**
   * The SuperJSON instance to use, for apps that register their own classes or custom types.
   * Herald registers its binary types on it. Default: a private instance.
   */
  superjson?: SuperJSON;
}

type Envelope = { json: unknown; meta?: Record<string, unknown> };

const META_KEYS = new Set(['values', 'referentialEqualities', 'v']);
const MAX_REFERENCE_PATHS = 1_000;

/** Registers Herald's binary types: Uint8Array and ArrayBuffer travel as base64 strings. */
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
}

/**
 * The superjson codec (`herald.v1.superjson`): Date, Map, Set, BigInt, undefined, RegExp, Error,
 * URL, NaN, ±Infinity, -0, typed arrays, Uint8Array and ArrayBuffer keep their types. Payloads are
 * superjson's `{"json":…,"meta":…}`; plain-JSON values skip superjson on both ends.
 */
export function createSuperjsonCodec(options: SuperjsonCodecOptions = {}): Codec {
  const sj = options.superjson ?? new SuperJSON();
  registerBinaryTypes(sj);
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxAnnotations = options.maxAnnotations ?? DEFAULT_MAX_ANNOTATIONS;

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
      const metaProblem = checkMeta(envelope.meta, maxDepth, maxAnnotations);
      if (metaProblem !== undefined) return invalid(`the payload's meta is refused: ${metaProblem}`);
    }
    return ok(envelope as Envelope);
  };

  return {
    name: 'superjson',
    encode(value) {
      if (isPlainJson(value, maxDepth)) return `{"json":${JSON.stringify(value)}}`;
      let envelope: Envelope;
      try {
        envelope = sj.serialize(value) as Envelope;
      } catch (cause) {
        throw unencodable(`superjson cannot encode this value: ${String(cause)}`, cause);
      }
      // Refuse here what every receiver would refuse, so that the publisher is the one told.
      const problem =
        jsonTreeProblem(envelope.json, maxDepth) ??
        (envelope.meta === undefined ? undefined : checkMeta(envelope.meta, maxDepth, maxAnnotations));
      if (problem !== undefined) throw unencodable(`the value has ${problem}`);
      return JSON.stringify(envelope);
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

/**
 * superjson walks `meta` recursively and, for crafted paths, in quadratic time. Check its shape,
 * depth and size first (see PROTOCOL.md, "Decoding untrusted payloads").
 */
function checkMeta(meta: unknown, maxDepth: number, maxAnnotations: number): string | undefined {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return 'meta must be an object';
  const fields = meta as Record<string, unknown>;
  for (const key in fields) if (!META_KEYS.has(key)) return `unexpected key "${key}"`;
  if (fields.v !== undefined && typeof fields.v !== 'number') return 'meta.v must be a number';
  // A value annotation tree has two levels ([type, children]) per level of data.
  const problem = jsonTreeProblem(fields.values, 2 * maxDepth + 2);
  if (problem !== undefined) return `meta.values has ${problem}`;
  const refProblem = jsonTreeProblem(fields.referentialEqualities, 4);
  if (refProblem !== undefined) return `meta.referentialEqualities has ${refProblem}`;
  const annotations = annotationProblem(fields.values, maxAnnotations);
  if (annotations !== undefined) return annotations;
  if (countStrings(fields.referentialEqualities) > MAX_REFERENCE_PATHS) {
    return `more than ${MAX_REFERENCE_PATHS} shared-reference paths`;
  }
  return undefined;
}

/**
 * Counts value annotations, stopping past `limit`, or says why the tree is malformed. Also refuses
 * a path that reaches into a Set or Map through a flattened sibling key (`{"s":["set"],"s.0":…}`):
 * superjson's own output never does that, and applying it costs time quadratic in the Set's size.
 */
function annotationProblem(values: unknown, limit: number): string | undefined {
  if (values === undefined) return undefined;
  let count = 0;
  const stack: unknown[] = [values];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      if (++count > limit) return `more than ${limit} type annotations`;
      const [type, children] = node as [unknown, unknown];
      if (typeof type !== 'string' && !Array.isArray(type)) return 'an annotation type is neither a string nor an array';
      if (children !== undefined) stack.push(children);
      continue;
    }
    if (typeof node !== 'object' || node === null) return 'an annotation node is neither an array nor an object';
    const level = node as Record<string, unknown>;
    const collections = new Set<string>();
    for (const key in level) {
      const child = level[key];
      if (Array.isArray(child) && (child[0] === 'set' || child[0] === 'map')) collections.add(key);
      stack.push(child);
    }
    if (collections.size === 0) continue;
    for (const key in level) {
      for (let dot = key.indexOf('.'); dot !== -1; dot = key.indexOf('.', dot + 1)) {
        if (key[dot - 1] !== '\\' && collections.has(key.slice(0, dot))) {
          return `the path "${key.slice(0, 64)}" reaches into a converted Set or Map`;
        }
      }
    }
  }
  return undefined;
}

function countStrings(value: unknown): number {
  if (typeof value === 'string') return 1;
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  for (const item of Object.values(value)) count += countStrings(item);
  return count;
}
