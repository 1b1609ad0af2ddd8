import { HeraldError, type ProtocolError, VERBOSE_ERRORS } from './errors.js';
import type { Result } from './result.js';

/**
 * A payload codec (pysig's carrier pack/unpack). Negotiated per connection through the WebSocket
 * subprotocol `herald.v1.<name>`. Encoded payloads are JSON text, so a router can check and
 * transcode them without running the codec's rich-type decoder.
 */
export interface Codec {
  /** The codec's name in the subprotocol: `herald.v1.<name>`. Lower-case letters and digits. */
  readonly name: string;
  /** Encodes a value. Throws a `ProtocolError` with code `PAYLOAD_UNENCODABLE` when it cannot. */
  encode(value: unknown): string;
  /** Decodes a payload after checking its shape, depth and keys. Never throws. */
  decode(text: string): Result<unknown, ProtocolError>;
  /** Checks a payload without building rich values: what a router runs on payloads it forwards. */
  check(text: string): ProtocolError | undefined;
  /** The plain-JSON projection of a valid payload (Dates as ISO strings, Maps as entry arrays...). */
  toPlainJson(text: string): string;
  /** A payload of this codec carrying plain JSON text. */
  fromPlainJson(text: string): string;
}

/**
 * Limits checked before a payload is decoded. Each is an integer in its range; a codec factory
 * given anything else throws a `HeraldError` with code `OPTION_INVALID`.
 */
export interface DecodeLimits {
  /**
   * Deepest nesting of arrays and objects in a value (a scalar is 0). Default 64; 0 to 10,000,000
   * (a level takes at least 2 bytes of payload; the checks walk without recursion).
   */
  maxDepth?: number;
  /** Most type annotations (superjson `meta`) one payload may carry. Default 100,000; 0 to 10,000,000. */
  maxAnnotations?: number;
}

export const DEFAULT_MAX_DEPTH = 64;
export const DEFAULT_MAX_ANNOTATIONS = 100_000;
/** Highest {@link DecodeLimits.maxDepth}. */
export const MAX_MAX_DEPTH = 10_000_000;
/** Highest {@link DecodeLimits.maxAnnotations}. */
export const MAX_MAX_ANNOTATIONS = 10_000_000;

/**
 * A codec factory's limit option: `fallback` when not given, checked to be an integer from 0 to
 * `max`. Anything else (NaN, negative, a fraction, too large) throws a `HeraldError` with code
 * `OPTION_INVALID` naming the option.
 */
export function limitOption(name: string, value: number | undefined, fallback: number, max: number): number {
  value ??= fallback;
  if (Number.isInteger(value) && value >= 0 && value <= max) return value;
  throw new HeraldError('OPTION_INVALID', VERBOSE_ERRORS ? `${name} must be an integer from 0 to ${max}, not ${String(value)}` : name);
}

const SUBPROTOCOL_PREFIX = 'herald.v1.';

/** The WebSocket subprotocol that selects `codec`: `herald.v1.<name>`. */
export function subprotocolFor(codec: Pick<Codec, 'name'>): string {
  return SUBPROTOCOL_PREFIX + codec.name;
}

/** The first codec in `codecs` that one of `offered` subprotocols selects, in the client's order. */
export function selectCodec<C extends Pick<Codec, 'name'>>(
  offered: Iterable<string>,
  codecs: readonly C[],
): C | undefined {
  for (const protocol of offered) {
    if (!protocol.startsWith(SUBPROTOCOL_PREFIX)) continue;
    const codec = codecs.find((c) => c.name === protocol.slice(SUBPROTOCOL_PREFIX.length));
    if (codec !== undefined) return codec;
  }
  return undefined;
}

/** Re-encodes a valid payload from one codec to another through its plain-JSON projection. */
export function transcode(text: string, from: Codec, to: Codec): string {
  return from === to ? text : to.fromPlainJson(from.toPlainJson(text));
}
