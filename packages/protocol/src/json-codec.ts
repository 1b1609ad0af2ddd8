import { type Codec, DEFAULT_MAX_DEPTH, type DecodeLimits, MAX_MAX_DEPTH, limitOption } from './codec.js';
import { ProtocolError, VERBOSE_ERRORS } from './errors.js';
import { inexactNumberIn, inexactNumberProblem } from './json-numbers.js';
import { isPlainJson, jsonTreeProblem } from './payload-guard.js';
import { type Result, err, ok } from './result.js';
import { stringifyJsonProjection } from './json-projection.js';

/**
 * The plain JSON codec (`herald.v1.json`), for peers without superjson such as a Python or shell
 * client. Payloads are any JSON text whose numbers JavaScript holds exactly (see json-numbers.ts:
 * `PAYLOAD_INVALID` otherwise). Rich values are sent as superjson's JSON projection: a Date as
 * its ISO string, a Map as an array of [key, value] pairs, a Set as an array, a BigInt as a decimal
 * string, bytes as base64, undefined as null. Error codes are written as strings, not read from
 * `ErrorCode`: reading one member would put the whole table in every page on this codec.
 */
export function createJsonCodec(options: DecodeLimits = {}): Codec {
  const maxDepth = limitOption('maxDepth', options.maxDepth, DEFAULT_MAX_DEPTH, MAX_MAX_DEPTH);

  const parse = (text: string): Result<unknown, ProtocolError> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return err(new ProtocolError('PAYLOAD_INVALID', VERBOSE_ERRORS ? 'the payload is not JSON' : ''));
    }
    const problem = jsonTreeProblem(value, maxDepth);
    if (problem !== undefined) return err(new ProtocolError('PAYLOAD_INVALID', VERBOSE_ERRORS ? `the payload has ${problem}` : problem));
    const inexact = inexactNumberIn(text);
    if (inexact !== undefined) return err(new ProtocolError('PAYLOAD_INVALID', VERBOSE_ERRORS ? `the payload has ${inexactNumberProblem(inexact)}` : ''));
    return ok(value);
  };

  return {
    name: 'json',
    encode(value) {
      if (isPlainJson(value, maxDepth)) return JSON.stringify(value);
      try {
        return stringifyJsonProjection(value, maxDepth);
      } catch (cause) {
        throw new ProtocolError('PAYLOAD_UNENCODABLE', VERBOSE_ERRORS ? `cannot encode this value as JSON: ${(cause as Error).message}` : '', { cause });
      }
    },
    decode: parse,
    check(text) {
      const parsed = parse(text);
      return parsed.ok ? undefined : parsed.error;
    },
    toPlainJson(text) {
      return text;
    },
    fromPlainJson(text) {
      return text;
    },
  };
}

/** The default plain JSON codec. */
export const jsonCodec: Codec = createJsonCodec();
