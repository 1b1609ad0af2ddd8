import { SuperJSON } from 'superjson';
import { type Codec, DEFAULT_MAX_ANNOTATIONS, DEFAULT_MAX_DEPTH, type DecodeLimits, MAX_MAX_ANNOTATIONS, MAX_MAX_DEPTH, limitOption } from './codec.js';
import { ProtocolError, VERBOSE_ERRORS } from './errors.js';
import { type Result, err, ok } from './result.js';
// Only the two markers: browser builds have no decodeCommon (superjson-fast.browser.ts).
import { CHANGED, UNTOUCHED } from './superjson-fast-decode.js';
import { type GuardResult, guardSuperjsonEnvelope, plainEnvelopeProblem, type SuperjsonGuardLimits } from './superjson-guard.js';
// The fast paths, left out of browser builds (package.json `imports`, superjson-fast.ts).
import { decodeCommon, decodePlainText, encodeRich, untransformer } from '#superjson-fast';
import { BINARY_TYPE_NAMES, BINARY_TYPE_TESTS, registerBinaryTypes } from './superjson-interop.js';

/** Default of {@link SuperjsonCodecOptions.maxWorkPerByte}. */
export const DEFAULT_MAX_WORK_PER_BYTE = 16;
/** Default of {@link SuperjsonCodecOptions.maxBigIntLength}. */
export const DEFAULT_MAX_BIGINT_LENGTH = 4096;

/** Options of {@link createSuperjsonCodec}. */
export interface SuperjsonCodecOptions extends DecodeLimits {
  /**
   * The superjson instance that encodes and decodes: yours, with your `registerCustom`,
   * `registerClass`, `registerSymbol` and `allowErrorProps` registrations. Herald registers its
   * binary types on it (see `registerBinaryTypes`) unless custom types of those names are already
   * there. Default: an instance of Herald's own, with only the binary types.
   */
  superjson?: SuperJSON;
  /**
   * Most steps superjson's `deserialize` may take per byte of payload (JSON nodes, path segments,
   * Set and Map elements stepped through), counted before it runs. Default 16; 0 to 1,000.
   */
  maxWorkPerByte?: number;
  /** Longest decimal text of a BigInt in a payload. Default 4096; 0 to 1,000,000 (V8 parses BigInts in superlinear time). */
  maxBigIntLength?: number;
}

/** The parts of a superjson instance that decide whether the fast paths give its exact bytes. */
interface Registries {
  customTransformerRegistry: unknown;
  classRegistry: unknown;
}

/**
 * Whether `instance` has no registration that could change the bytes {@link encodeRich} writes:
 * no custom types but Herald's binary ones, and no registered class. (Registered symbols and
 * Error properties do not matter: the fast path leaves symbols and Errors to the library.) Read
 * from superjson 2.2.6's registries (pinned); anything unexpected turns the fast path off.
 */
function hasOnlyHeraldRegistrations(instance: SuperJSON): boolean {
  const registries = instance as unknown as Registries;
  const transformers = (registries.customTransformerRegistry as { transfomers?: unknown }).transfomers;
  if (typeof transformers !== 'object' || transformers === null) return false;
  for (const name in transformers) {
    if (BINARY_TYPE_TESTS.get(name) !== (transformers as Record<string, { isApplicable?: unknown }>)[name]!.isApplicable) return false;
  }
  const classes = (registries.classRegistry as { kv?: { valueToKey?: unknown } }).kv?.valueToKey;
  return classes instanceof Map && classes.size === 0;
}

/**
 * The superjson codec (`herald.v1.superjson`): the superjson library (2.2.6) is the codec. Payloads
 * are exactly `instance.stringify(value)`, and decode to what `instance.parse(text)` gives: Date,
 * Map, Set, BigInt, undefined, RegExp, Error, URL, NaN, ±Infinity, -0, shared references, cycles,
 * and whatever the instance registers (custom types, classes, symbols, Error properties). Binary
 * values travel as base64 (`registerBinaryTypes`).
 *
 * Before superjson decodes anything, a guard checks the payload in time linear in its length
 * (shape, depth, prototype keys, annotation and reference counts, the work superjson would do):
 * `decode` and `check` refuse with `PAYLOAD_INVALID`, never throw, never stall. `check` (what a
 * router runs on payloads it forwards) does not run superjson, so a forwarding router needs none of
 * its clients' registrations. Plain-JSON values skip superjson's walk both ways (byte-identical by
 * construction), and common rich values are written by a fast path proved byte-identical to the
 * library by a differential test.
 *
 * @example
 * // doctest: declare class Decimal { constructor(value: string) }
 * import { SuperJSON } from 'superjson';
 * import { connect, createSuperjsonCodec } from '@herald/client';
 * const superjson = new SuperJSON();
 * superjson.registerCustom<Decimal, string>({ isApplicable: (v) => v instanceof Decimal, serialize: String, deserialize: (s) => new Decimal(s) }, 'Decimal');
 * const client = await connect('ws://127.0.0.1:8080/', { codec: createSuperjsonCodec({ superjson }) });
 */
export function createSuperjsonCodec(options: SuperjsonCodecOptions = {}): Codec {
  const limits: SuperjsonGuardLimits = {
    maxDepth: limitOption('maxDepth', options.maxDepth, DEFAULT_MAX_DEPTH, MAX_MAX_DEPTH),
    maxAnnotations: limitOption('maxAnnotations', options.maxAnnotations, DEFAULT_MAX_ANNOTATIONS, MAX_MAX_ANNOTATIONS),
    maxWorkPerByte: limitOption('maxWorkPerByte', options.maxWorkPerByte, DEFAULT_MAX_WORK_PER_BYTE, 1000),
    maxBigIntLength: limitOption('maxBigIntLength', options.maxBigIntLength, DEFAULT_MAX_BIGINT_LENGTH, 1_000_000),
  };
  const instance = options.superjson ?? new SuperJSON();
  const finder = instance.customTransformerRegistry;
  if (BINARY_TYPE_NAMES.every((name) => finder.findByName(name) === undefined)) registerBinaryTypes(instance);

  const apply = untransformer?.(instance);

  /** The envelope of `text`, checked by the guard (for `check` and `toPlainJson`: nothing converted). */
  const parse = (text: string): Result<{ json: unknown }, ProtocolError> => {
    let envelope: { json: unknown };
    try {
      envelope = JSON.parse(text) as typeof envelope;
    } catch {
      return invalid(VERBOSE_ERRORS ? 'the payload is not JSON' : '');
    }
    // The commonest payload, plain JSON: superjson's parse returns it as parsed.
    if (plainEnvelopeProblem(envelope, limits.maxDepth) === undefined) return ok(envelope);
    const report = guardSuperjsonEnvelope(envelope, text.length, limits, { text });
    return report.problem === undefined ? ok(envelope) : invalid(VERBOSE_ERRORS ? `the payload is refused: ${report.problem}` : report.problem);
  };

  /** The full guard, applying the value annotations as it checks them, then superjson for shared references. */
  const decodeGuarded = (envelope: { json: unknown; meta?: { referentialEqualities?: unknown; v?: number } }, text: string): Result<unknown, ProtocolError> => {
    let report: GuardResult;
    try {
      report = guardSuperjsonEnvelope(envelope, text.length, limits, { text, apply });
    } catch (cause) {
      return err(new ProtocolError('PAYLOAD_INVALID', VERBOSE_ERRORS ? `superjson cannot decode the payload: ${(cause as Error).message}` : '', { cause }));
    }
    if (report.problem !== undefined) return invalid(VERBOSE_ERRORS ? `the payload is refused: ${report.problem}` : report.problem);
    const meta = envelope.meta;
    // The guard applied the value annotations (when the build has the applier); superjson applies
    // the shared references, or everything (browser builds).
    if (apply !== undefined && meta?.referentialEqualities === undefined) return ok(report.value);
    try {
      const references = apply === undefined ? envelope : { json: report.value, meta: { referentialEqualities: meta!.referentialEqualities, v: meta!.v } };
      return ok(instance.deserialize(references as Parameters<SuperJSON['deserialize']>[0], { inPlace: true }));
    } catch (cause) {
      return err(new ProtocolError('PAYLOAD_INVALID', VERBOSE_ERRORS ? `superjson cannot decode the payload: ${(cause as Error).message}` : '', { cause }));
    }
  };

  const decode = (text: string): Result<unknown, ProtocolError> => {
    if (decodeCommon === undefined) {
      // Browser builds: the guard, as `check` runs it, then superjson (which returns a plain
      // envelope's JSON as it is: `inPlace`, no annotations to apply).
      const parsed = parse(text);
      if (!parsed.ok) return parsed;
      try {
        return ok(instance.deserialize(parsed.value as Parameters<SuperJSON['deserialize']>[0], { inPlace: true }));
      } catch (cause) {
        return err(new ProtocolError('PAYLOAD_INVALID', VERBOSE_ERRORS ? `superjson cannot decode the payload: ${(cause as Error).message}` : '', { cause }));
      }
    }
    if (decodePlainText !== undefined) {
      // The commonest payload, `{"json":…}`, parsed without its envelope (superjson-fast-decode.ts).
      const plain = decodePlainText(text, limits.maxDepth);
      if (plain !== UNTOUCHED) return { ok: true, value: plain };
    }
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      return invalid(VERBOSE_ERRORS ? 'the payload is not JSON' : '');
    }
    // Plain JSON, and flat annotations of the common types, in one pass (superjson-fast-decode.ts).
    const common = decodeCommon(envelope, limits);
    if (common !== UNTOUCHED && common !== CHANGED) return { ok: true, value: common };
    // It converted part of the JSON before giving up: the full guard starts from the text again.
    if (common === CHANGED) envelope = JSON.parse(text);
    return decodeGuarded(envelope as { json: unknown }, text);
  };

  return {
    name: 'superjson',
    encode(value) {
      let text: string;
      try {
        if (encodeRich !== undefined && hasOnlyHeraldRegistrations(instance)) {
          // The fast path keeps to the limits itself: it writes nothing a receiver refuses.
          const fast = encodeRich(value, limits);
          if (fast !== undefined) return fast;
        }
        text = instance.stringify(value);
      } catch (cause) {
        throw new ProtocolError('PAYLOAD_UNENCODABLE', VERBOSE_ERRORS ? `cannot encode this value: ${(cause as Error).message}` : '', { cause });
      }
      // A value whose root JSON drops (a function, an unregistered symbol) is `{}`, as superjson
      // writes it: every superjson reader, Herald's included, reads it as undefined.
      // Never write what receivers refuse: nesting, counts, prototype keys...
      // (checked on the text: superjson's own output object shares the JSON of shared values).
      const problem = guardSuperjsonEnvelope(JSON.parse(text), text.length, limits, { text }).problem;
      if (problem !== undefined) throw new ProtocolError('PAYLOAD_UNENCODABLE', VERBOSE_ERRORS ? `cannot encode this value: ${problem}` : '');
      return text;
    },
    decode,
    check(text) {
      const parsed = parse(text);
      return parsed.ok ? undefined : parsed.error;
    },
    toPlainJson(text) {
      const parsed = parse(text);
      if (!parsed.ok) throw parsed.error;
      return JSON.stringify(parsed.value.json) ?? 'null';
    },
    fromPlainJson: (text) => `{"json":${text}}`,
  };
}

/** The default superjson codec: an instance of Herald's own, with the binary types and the default limits. */
export const superjsonCodec: Codec = createSuperjsonCodec();

function invalid(message: string): Result<never, ProtocolError> {
  return err(new ProtocolError('PAYLOAD_INVALID', message));
}
