import { type Codec, DEFAULT_MAX_ANNOTATIONS, DEFAULT_MAX_DEPTH, type DecodeLimits } from './codec.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { isPlainJson, jsonTreeProblem } from './payload-guard.js';
import { type Result, err, ok } from './result.js';
import { deserialize, serialize } from './superjson-format.js';

/** Options of {@link createSuperjsonCodec}. */
export type SuperjsonCodecOptions = DecodeLimits;

/**
 * The superjson codec (`herald.v1.superjson`): Date, Map, Set, BigInt, undefined, RegExp, Error,
 * URL, NaN, ±Infinity, -0, Uint8Array, ArrayBuffer and the other typed arrays keep their types, and
 * shared references and cycles survive. Payloads are superjson's `{"json":…,"meta":…}`, written and
 * read by Herald's own implementation of superjson's format (`superjson-format.ts`): the same bytes
 * as superjson 2.2.6, with `meta` checked as it is applied. Plain-JSON values are one
 * `JSON.stringify` / `JSON.parse`.
 */
export function createSuperjsonCodec(options: SuperjsonCodecOptions = {}): Codec {
  const limits = { maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH, maxAnnotations: options.maxAnnotations ?? DEFAULT_MAX_ANNOTATIONS };

  /** The envelope of `text`, checked for shape, depth and keys; its `meta` is not looked at yet. */
  const parse = (text: string): Result<{ json: unknown; meta?: unknown }, ProtocolError> => {
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      return invalid('the payload is not JSON');
    }
    if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope) || !('json' in envelope)) {
      return invalid('a superjson payload is an object {"json": …, "meta"?: …}');
    }
    for (const key in envelope) {
      if (key !== 'json' && key !== 'meta') return invalid(`unexpected key "${key}" in the payload envelope`);
    }
    const problem = jsonTreeProblem(envelope.json, limits.maxDepth);
    return problem === undefined ? ok(envelope) : invalid(`the payload has ${problem}`);
  };

  const decode = (text: string): Result<unknown, ProtocolError> => {
    const parsed = parse(text);
    if (!parsed.ok || parsed.value.meta === undefined) return parsed.ok ? ok(parsed.value.json) : parsed;
    try {
      return ok(deserialize(parsed.value.json, parsed.value.meta, limits));
    } catch (cause) {
      return invalid(`the payload's meta is refused: ${(cause as Error).message}`);
    }
  };

  // A router checks what it forwards by decoding it once per publish: the same rules, one code path.
  const check = (text: string): ProtocolError | undefined => {
    const decoded = decode(text);
    return decoded.ok ? undefined : decoded.error;
  };

  return {
    name: 'superjson',
    encode(value) {
      if (isPlainJson(value, limits.maxDepth)) return `{"json":${JSON.stringify(value)}}`;
      try {
        return JSON.stringify(serialize(value, limits));
      } catch (cause) {
        throw new ProtocolError(ErrorCode.PAYLOAD_UNENCODABLE, `cannot encode this value: ${(cause as Error).message}`, { cause });
      }
    },
    decode,
    check,
    toPlainJson(text) {
      const problem = check(text);
      if (problem !== undefined) throw problem;
      return JSON.stringify((JSON.parse(text) as { json: unknown }).json) ?? 'null';
    },
    fromPlainJson: (text) => `{"json":${text}}`,
  };
}

/** The default superjson codec. */
export const superjsonCodec: Codec = createSuperjsonCodec();

function invalid(message: string): Result<never, ProtocolError> {
  return err(new ProtocolError(ErrorCode.PAYLOAD_INVALID, message));
}
