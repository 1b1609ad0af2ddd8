/**
 * The decode fast path of the superjson codec (issue 11): the payloads superjson writes most often,
 * decoded by Herald in one pass over the parsed JSON, where the library would walk the annotation
 * tree with per-path copies and checks. Everything else goes to the full guard and the library.
 *
 * It handles two shapes:
 * - `{"json": …}`: plain JSON, which superjson's `parse` returns as `JSON.parse` made it
 *   ({@link decodePlainText} reads it from the text without building the envelope);
 * - `{"json": …, "meta": {"values": {…}, "v"?: n}}` whose annotations are flat (`"a.0.b": [type]`,
 *   no children, no `\` in the path) and of the commonest types: `Date`, `set`, `map`, `bigint`,
 *   `undefined`; no shared references.
 *
 * For those it applies exactly what superjson 2.2.6's `deserialize` applies (`new Date(s)`, read
 * from the digits when `s` is in `toISOString`'s layout (iso-date.ts),
 * `new Set(a)`, `new Map(a)`, `BigInt(s)`, `undefined`, in the annotations' order), and it checks
 * what the full guard checks: nesting and prototype keys in `json`, the annotation count, BigInt
 * length, and paths that name something in the JSON as parsed, never through a converted value.
 * Whenever a payload is outside this (a refusal included) it gives up, and the full guard decides
 * (PROTOCOL.md lists the refusals). A differential property test compares its results with the
 * library's (superjson-fast-decode.test.ts).
 */
import { isoDateTime } from './iso-date.js';
import { jsonNestsTooDeepOrHasPrototypeKey } from './payload-guard.js';

/** {@link decodeCommon} gave up before changing anything: the full guard may use the envelope as it is. */
export const UNTOUCHED: unique symbol = Symbol('untouched');
/** {@link decodeCommon} gave up after converting part of `json` in place: parse the text again. */
export const CHANGED: unique symbol = Symbol('changed');

/** How long `{"json":` is: the text superjson writes for a value without annotations starts so. */
const PLAIN_PREFIX_LENGTH = 8;

/**
 * Whether `text` starts with `{"json":`, compared character by character, written out: the
 * loop over the pattern this replaced cost 2–3 % of a 200-byte decode, and `startsWith` or
 * `lastIndexOf(…, 0)` no less (interleaved, medians, 2026-12-07).
 */
function startsLikePlainEnvelope(text: string): boolean {
  return (
    text.charCodeAt(0) === 0x7b && // {
    text.charCodeAt(1) === 0x22 && // "
    text.charCodeAt(2) === 0x6a && // j
    text.charCodeAt(3) === 0x73 && // s
    text.charCodeAt(4) === 0x6f && // o
    text.charCodeAt(5) === 0x6e && // n
    text.charCodeAt(6) === 0x22 && // "
    text.charCodeAt(7) === 0x3a // :
  );
}

/**
 * Whether `text`, whose last character is at `end`, ends like an envelope with annotations:
 * superjson 2.2.3 and later write `meta.v` last, `"v":1}}`. The `1` first: plain JSON seldom has one there.
 */
function endsLikeAnnotated(text: string, end: number): boolean {
  return text.charCodeAt(end - 2) === 0x31 && text.charCodeAt(end - 1) === 0x7d && text.startsWith('"v":', end - 6);
}

/**
 * The value of a plain superjson payload `{"json":X}` (no `meta`), read by parsing X alone, or
 * {@link UNTOUCHED} when `text` is not of that form or the guard must refuse it (the codec then
 * decodes it the usual way, and refuses it with the reason).
 *
 * Parsing `X` alone spares building the envelope object (about 90 ns, an eighth of a 200-byte
 * decode; the bench's codec scenario). It gives exactly what `superjson.parse(text)` gives: when
 * `X` is JSON text, `{"json":` + X + `}` is an object with the one member `json` whose value is
 * `JSON.parse(X)` (JSON allows white space on both sides of a value), and superjson returns that
 * value as it is when there is no `meta`. When `X` is not JSON text (the envelope has other
 * members, such as `"meta"`), `JSON.parse` throws and the usual path decides. A text ending like an
 * envelope with annotations (`"v":1}}`) is not tried, so rich payloads never parse twice; a
 * plain one ending so (`{"json":{"v":1}}`) just takes the usual path. Differential property tests
 * compare it with `superjson.parse` and the full guard.
 */
export function decodePlainText(text: string, maxDepth: number): unknown {
  const end = text.length - 1;
  if (text.charCodeAt(end) !== 0x7d || !startsLikePlainEnvelope(text) || endsLikeAnnotated(text, end)) return UNTOUCHED;
  let json: unknown;
  try {
    json = JSON.parse(text.slice(PLAIN_PREFIX_LENGTH, end));
  } catch {
    return UNTOUCHED;
  }
  return jsonNestsTooDeepOrHasPrototypeKey(json, maxDepth) ? UNTOUCHED : json;
}

/** The limits the fast path keeps to (those of the full guard). */
export interface FastDecodeLimits {
  maxDepth: number;
  maxAnnotations: number;
  maxBigIntLength: number;
}

const hasOwn = Object.prototype.hasOwnProperty;
const OBJECT_PROTOTYPE = Object.prototype;

/** A JSON object as `JSON.parse` makes it (converted values have other prototypes). */
const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === OBJECT_PROTOTYPE;

/**
 * The decoded value of a parsed superjson envelope of the shapes above, or {@link UNTOUCHED} /
 * {@link CHANGED} when the full guard must decide.
 */
export function decodeCommon(envelope: unknown, limits: FastDecodeLimits): unknown {
  if (!isJsonObject(envelope)) return UNTOUCHED;
  // Read as superjson reads it: `json` and `meta`, other keys ignored.
  const json = envelope.json;
  if (json === undefined && !hasOwn.call(envelope, 'json')) return UNTOUCHED;
  if (jsonNestsTooDeepOrHasPrototypeKey(json, limits.maxDepth)) return UNTOUCHED;
  const meta = envelope.meta;
  // A meta that is not an object (absent, null, a string, an array) carries no annotations.
  if (!isJsonObject(meta)) return json;
  const values = meta.values;
  if (meta.referentialEqualities) return UNTOUCHED;
  if (!values) return json;
  if ((meta.v !== undefined && typeof meta.v !== 'number') || !isJsonObject(values) || typeof json !== 'object' || json === null) return UNTOUCHED;
  return applyFlatAnnotations(json, values, limits);
}

/**
 * The annotations of `values` applied to `root` in place, in superjson's order, or CHANGED /
 * UNTOUCHED. Paths are read segment by segment without splitting them (`split` costs more than
 * the rest of the walk); array indices must be plain decimals (`0`, `17`), or the full guard decides.
 */
function applyFlatAnnotations(root: object, values: Record<string, unknown>, limits: FastDecodeLimits): unknown {
  let applied = 0;
  for (const key in values) {
    const annotation = values[key];
    if (!Array.isArray(annotation) || annotation.length !== 1 || key.includes('\\') || applied === limits.maxAnnotations) return applied === 0 ? UNTOUCHED : CHANGED;
    let parent: unknown = root;
    let start = 0;
    let depth = 0;
    for (;;) {
      if (++depth > limits.maxDepth) return applied === 0 ? UNTOUCHED : CHANGED;
      const dot = key.indexOf('.', start);
      const end = dot < 0 ? key.length : dot;
      let node: unknown;
      let index = -1;
      let name = '';
      if (Array.isArray(parent)) {
        index = indexAt(key, start, end, parent.length);
        if (index < 0) return applied === 0 ? UNTOUCHED : CHANGED;
        node = parent[index];
      } else {
        name = key.slice(start, end);
        if (!isJsonObject(parent) || !hasOwn.call(parent, name)) return applied === 0 ? UNTOUCHED : CHANGED;
        node = parent[name];
      }
      if (dot >= 0) {
        parent = node;
        start = dot + 1;
        continue;
      }
      const converted = convert(annotation[0], node, limits.maxBigIntLength);
      if (converted === CHANGED) return applied === 0 ? UNTOUCHED : CHANGED;
      applied++;
      if (index >= 0) (parent as unknown[])[index] = converted;
      else (parent as Record<string, unknown>)[name] = converted;
      break;
    }
  }
  return root;
}

/** The array index that `key[start, end)` spells in plain decimal, if it is below `length`; else -1. */
function indexAt(key: string, start: number, end: number, length: number): number {
  const digits = end - start;
  if (digits === 0 || digits > 9 || (digits > 1 && key.charCodeAt(start) === 48)) return -1;
  let index = 0;
  for (let i = start; i < end; i++) {
    const digit = key.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    index = index * 10 + digit;
  }
  return index < length ? index : -1;
}

/** superjson's `untransformValue` for the common types, on the JSON they are written as; else CHANGED. */
function convert(type: unknown, node: unknown, maxBigIntLength: number): unknown {
  // A value converted earlier (annotated twice) goes to the full guard, which refuses it.
  if (typeof node === 'object' && node !== null && !Array.isArray(node) && !isJsonObject(node)) return CHANGED;
  switch (type) {
    case 'Date': {
      if (typeof node !== 'string') return CHANGED;
      // superjson's `new Date(node)`: from the digits when it is toISOString's layout (iso-date.ts).
      const time = isoDateTime(node);
      return new Date(Number.isNaN(time) ? node : time);
    }
    case 'set':
      return Array.isArray(node) ? new Set(node) : CHANGED;
    case 'map':
      if (!Array.isArray(node)) return CHANGED;
      for (let i = 0; i < node.length; i++) if (!Array.isArray(node[i])) return CHANGED;
      return new Map(node as Array<[unknown, unknown]>);
    case 'bigint':
      if (typeof node !== 'string' || node.length > maxBigIntLength) return CHANGED;
      try {
        return BigInt(node);
      } catch {
        return CHANGED;
      }
    case 'undefined':
      return undefined;
    default:
      return CHANGED;
  }
}
