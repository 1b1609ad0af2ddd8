/**
 * The check that runs before superjson's `deserialize` on every payload Herald decodes (issue 11).
 *
 * superjson trusts `meta`: it recurses over the annotation tree, walks every path from the root,
 * and reaches the n-th element of a Set or Map by stepping through the n before it, once per path.
 * A 700 KB payload could thus cost seconds. This guard walks the parsed envelope once, in the order
 * superjson would apply it, and counts the steps superjson's `deserialize` will take: nodes of the
 * JSON, path segments parsed, copied and walked, and Set/Map elements stepped through. It refuses a
 * payload whose count passes `maxWorkPerByte` times its length, so what superjson then does is
 * linear in the payload, and stops counting there, so the guard is linear too. It also refuses what
 * would make superjson misbehave whatever the count: nesting past `maxDepth`, prototype keys,
 * paths that name nothing (superjson would write there, for instance at index 4294967294 of an
 * array), annotation paths through a value an earlier annotation converted, and BigInts longer than
 * `maxBigIntLength` digits (V8 parses them in superlinear time).
 *
 * It never builds a value and never throws: the verdict is a {@link GuardReport}.
 */
import { VERBOSE_ERRORS } from './errors.js';
import { FORBIDDEN_KEYS, jsonTreeProblem } from './payload-guard.js';
// The fast walk in Node builds, the compact reference walk in browser builds (superjson-fast.ts).
// Browser builds have no annotation applier (`untransformer` undefined): the guard's code that
// applies annotations as it checks them is then dropped from the page.
import { jsonNestsTooDeepOrHasPrototypeKey, untransformer } from '#superjson-fast';

/** Limits of the guard (PROTOCOL.md, section 4). */
export interface SuperjsonGuardLimits {
  /** Deepest nesting of arrays and objects in `json` (a scalar is 0); also the longest path. */
  maxDepth: number;
  /** Most type annotations in `meta.values`, and most paths in `meta.referentialEqualities`. */
  maxAnnotations: number;
  /** Most steps of superjson's `deserialize` per byte of payload text. */
  maxWorkPerByte: number;
  /** Longest decimal text of a `bigint` annotation, sign included. */
  maxBigIntLength: number;
}

/** What the guard found: a reason to refuse, or none, and the steps it counted. */
export interface GuardReport {
  /** Why the payload is refused, or undefined when superjson may decode it. */
  problem: string | undefined;
  /** Steps superjson's `deserialize` would take (up to where the guard stopped). */
  work: number;
}

const SIMPLE_TYPES: ReadonlySet<string> = new Set(['undefined', 'bigint', 'Date', 'Error', 'regexp', 'set', 'map', 'number', 'URL']);
const COMPOSITE_TYPES: ReadonlySet<string> = new Set(['symbol', 'class', 'custom', 'typed-array']);

/** Thrown inside the guard only, to unwind to {@link guardSuperjsonEnvelope}. */
class Refusal {
  constructor(readonly problem: string) {}
}

/** Unwinds the guard with `problem` (one call per site: the page carries the `throw` once). */
const refuse = (problem: string): never => {
  throw new Refusal(problem);
};

/**
 * superjson 2.2.6's `parsePath`: dot-separated, `\.` and `\\` escaped (before meta.v 1, `legacy`:
 * only `\.`). Throws a {@link Refusal} where superjson throws.
 */
export function parseSuperjsonPath(text: string, legacy: boolean): string[] {
  const result: string[] = [];
  let segment = '';
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    if (!legacy && char === '\\') {
      const escaped = text.charAt(i + 1);
      if (escaped === '\\') {
        segment += '\\';
        i++;
        continue;
      }
      if (escaped !== '.') refuse(VERBOSE_ERRORS ? 'a path has an invalid escape' : '');
    }
    if (char === '\\' && text.charAt(i + 1) === '.') {
      segment += '.';
      i++;
      continue;
    }
    if (char === '.') {
      result.push(segment);
      segment = '';
      continue;
    }
    segment += char;
  }
  result.push(segment);
  return result;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A number or boolean where superjson expects a tree of annotations or references: it finds no entries in it, so it does nothing. */
const isInert = (value: unknown): boolean => typeof value === 'number' || typeof value === 'boolean';

/**
 * Applies one value annotation to the JSON it names (superjson's `untransformValue`), for a caller
 * that wants the guard to convert as it checks. Throws when the JSON is not what the type needs.
 */
export type ApplyAnnotation = (type: string | [string, string], json: unknown) => unknown;

/** Extras of {@link guardSuperjsonEnvelope}. */
export interface GuardOptions {
  /** The payload text the envelope was parsed from (unused: scanning it costs more than the walk). */
  text?: string;
  /**
   * Converts each annotated value in place, in superjson's order, as the guard accepts it (the
   * codec's annotation applier, superjson-untransform.ts). Not in browser builds, which have no
   * applier: there the guard only checks, and superjson's `deserialize` converts.
   */
  apply?: ApplyAnnotation;
}

/** What the guard found, and with `apply`, the converted value (before shared references). */
export interface GuardResult extends GuardReport {
  /** With `apply` and no problem: `json` with every value annotation applied. */
  value?: unknown;
}


/**
 * The guard for the commonest payload, `{"json": …}` without annotations, without the machinery:
 * `undefined` when it is fine, or `null` when it is not that shape or is refused (nesting past
 * `maxDepth`, a prototype key): the full guard then decides, and says why.
 */
export function plainEnvelopeProblem(envelope: unknown, maxDepth: number): undefined | null {
  if (!isRecord(envelope) || !Object.hasOwn(envelope, 'json')) return null;
  const meta = envelope.meta;
  if (isRecord(meta) && (meta.values || meta.referentialEqualities)) return null;
  return jsonNestsTooDeepOrHasPrototypeKey(envelope.json, maxDepth) ? null : undefined;
}

/**
 * Checks a parsed superjson envelope `{json, meta?}` whose text was `bytes` long. Linear in
 * `bytes`: it stops as soon as the count passes the budget.
 *
 * The envelope is read as superjson's `deserialize` reads it: `json` and `meta` (other keys are
 * ignored), and from `meta` only `values`, `referentialEqualities` and `v`. A `meta` that is not
 * an object (null, a string, an array) carries no annotations, as for superjson. (One function
 * with its steps as closures, not a class: the browser page carries it, and local names minify.)
 */
export function guardSuperjsonEnvelope(envelope: unknown, bytes: number, limits: SuperjsonGuardLimits, options: GuardOptions = {}): GuardResult {
  const { maxDepth, maxAnnotations, maxWorkPerByte, maxBigIntLength } = limits;
  const budget = maxWorkPerByte * bytes;
  const apply = untransformer === undefined ? undefined : options.apply;
  let work = 0;
  /** The JSON as parsed, then as converted (with `apply`). */
  let root: unknown;
  let legacy = false;
  let annotations = 0;
  let referencePaths = 0;
  /** JSON arrays and objects that an annotation converts, with the annotation's type. */
  const converted = new Map<object, string>();
  /** With `apply`: each converted value's JSON, to follow reference paths through it. */
  const sources = new Map<unknown, unknown>();

  const spend = (steps: number): void => {
    work += steps;
    // Not `work > budget`: a NaN step (a key that is no index, through an object annotated as a Set
    // or a Map, which superjson cannot convert anyway) would make the count NaN and the budget void.
    if (!(work <= budget)) refuse(VERBOSE_ERRORS ? `decoding it would take more than ${maxWorkPerByte} steps per byte (superjson walks every path from the root)` : '');
  };

  const toPath = (origin: readonly string[], key: string): string[] => {
    spend(key.length + origin.length + 1);
    const path = origin.concat(parseSuperjsonPath(key, legacy));
    if (path.length > maxDepth) refuse(VERBOSE_ERRORS ? `a path is longer than ${maxDepth} keys` : '');
    return path;
  };

  /** The child of a JSON array or object that `key` names, as superjson's setDeep reads it. */
  const child = (node: unknown, key: string): unknown => {
    if (FORBIDDEN_KEYS.has(key)) refuse(VERBOSE_ERRORS ? `forbidden key "${key}" in a path` : '');
    if (Array.isArray(node)) {
      const index = +key;
      if (Number.isInteger(index) && index >= 0 && index < node.length) return node[index];
    } else if (isRecord(node) && Object.hasOwn(node, key)) return node[key];
    return refuse(VERBOSE_ERRORS ? 'a path names something that is not in the value' : '');
  };

  /** A JSON array or object an earlier annotation converted: its type, else undefined. */
  const conversion = (node: unknown): string | undefined => (typeof node === 'object' && node !== null ? converted.get(node) : undefined);

  const annotate = (type: unknown, path: readonly string[]): void => {
    if (++annotations > maxAnnotations) refuse(VERBOSE_ERRORS ? `more than ${maxAnnotations} annotations` : '');
    const name: string =
      typeof type === 'string' && SIMPLE_TYPES.has(type)
        ? type
        : Array.isArray(type) && type.length === 2 && COMPOSITE_TYPES.has(type[0] as string) && typeof type[1] === 'string'
          ? (type[0] as string)
          : refuse(VERBOSE_ERRORS ? 'unknown annotation type' : '');
    // Annotations apply to the JSON as parsed: never through a value an earlier one converted
    // (superjson would step through a Set or Map element by element, once per path).
    let parent: unknown;
    let node = root;
    for (const key of path) {
      if (conversion(node) !== undefined) refuse(VERBOSE_ERRORS ? 'an annotation path passes through a converted value' : '');
      parent = node;
      node = child(node, key);
    }
    spend(2 * path.length + 1);
    if (typeof node === 'object' && node !== null) {
      if (converted.has(node)) refuse(VERBOSE_ERRORS ? 'a value is annotated twice' : '');
      converted.set(node, name);
    }
    if (name === 'bigint' && typeof node === 'string' && node.length > maxBigIntLength) {
      refuse(VERBOSE_ERRORS ? `a bigint longer than ${maxBigIntLength} digits` : '');
    }
    if (apply !== undefined) {
      const value = apply(type as string | [string, string], node);
      if (typeof value === 'object' && value !== null) {
        converted.set(value, name);
        sources.set(value, node);
      }
      if (path.length === 0) root = value;
      else if (Array.isArray(parent)) parent[+path[path.length - 1]!] = value;
      else (parent as Record<string, unknown>)[path[path.length - 1]!] = value;
    }
  };

  /** superjson's `traverse`, children before their node; recursion is bounded by the path length. */
  const tree = (node: unknown, origin: readonly string[]): void => {
    if (!node || isInert(node)) return;
    const annotation = Array.isArray(node);
    if (annotation && (node.length < 1 || node.length > 2)) refuse(VERBOSE_ERRORS ? 'an annotation is [type] or [type, children]' : '');
    const children: unknown = annotation ? node[1] : node;
    if (children && !isInert(children)) {
      if (!isRecord(children)) {
        refuse(VERBOSE_ERRORS ? (annotation ? "an annotation's children must be an object" : 'an annotation tree node must be an array or an object') : '');
      }
      for (const key in children as Record<string, unknown>) tree((children as Record<string, unknown>)[key], toPath(origin, key));
    }
    if (annotation) annotate(node[0], origin);
  };

  /**
   * A shared-reference path, applied after every conversion: through a converted Set superjson
   * steps through `index + 1` elements, through a Map `row + 1` entries, twice (read and write).
   */
  const reference = (text: unknown): void => {
    if (typeof text !== 'string') refuse(VERBOSE_ERRORS ? 'malformed referentialEqualities' : '');
    if (++referencePaths > maxAnnotations) refuse(VERBOSE_ERRORS ? `more than ${maxAnnotations} shared-reference paths` : '');
    const path = toPath([], text as string);
    let node = root;
    for (let i = 0; i < path.length; i++) {
      if (apply !== undefined && sources.has(node)) node = sources.get(node);
      const kind = conversion(node);
      const key = path[i]!;
      node = child(node, key);
      if (kind === 'set' || kind === 'map') {
        spend(2 * (+key + 1));
        if (kind === 'map') {
          if (i + 1 === path.length) refuse(VERBOSE_ERRORS ? 'a path names a whole Map entry' : '');
          if (!Array.isArray(node)) refuse(VERBOSE_ERRORS ? 'a Map entry is not a [key, value] pair' : '');
          node = (node as unknown[])[+path[++i]! === 0 ? 0 : 1];
        }
      } else spend(2);
    }
  };

  const malformed = (): never => refuse(VERBOSE_ERRORS ? 'malformed referentialEqualities' : '');

  const referenceGroups = (groups: unknown): void => {
    if (!isRecord(groups)) malformed();
    for (const original in groups as Record<string, unknown>) {
      const copies = (groups as Record<string, unknown>)[original];
      if (!Array.isArray(copies)) malformed();
      reference(original);
      for (const copy of copies as unknown[]) reference(copy);
    }
  };

  try {
    const notEnvelope = VERBOSE_ERRORS ? 'a superjson payload is an object {"json": …, "meta"?: …}' : '';
    if (!isRecord(envelope)) refuse(notEnvelope);
    if (!Object.hasOwn(envelope as object, 'json')) {
      // `{}`: what superjson writes for a value whose root JSON drops (a function, a symbol), and
      // reads as undefined. Any other object without `json` is refused (superjson never writes
      // one; it is most often a value sent without its envelope, PROTOCOL.md section 4).
      if (Object.keys(envelope as object).length > 0) refuse(notEnvelope);
      return { problem: undefined, work, value: undefined };
    }
    const { json, meta } = envelope as { json: unknown; meta?: unknown };
    root = json;
    // Depth and prototype keys of `json`. superjson takes no step on the JSON itself (it is parsed
    // in place), so nothing is counted. The fast walk decides; the reference walk names the problem.
    if (jsonNestsTooDeepOrHasPrototypeKey(json, maxDepth)) {
      refuse(VERBOSE_ERRORS ? `the payload has ${jsonTreeProblem(json, maxDepth) ?? 'nesting or a prototype key'}` : '');
    }
    if (isRecord(meta)) {
      const { values, referentialEqualities: references } = meta;
      if (values || references) {
        // superjson reads paths in the legacy syntax when `(meta.v ?? 0) < 1`, whatever v is.
        try {
          legacy = ((meta.v ?? 0) as number) < 1;
        } catch {
          refuse(VERBOSE_ERRORS ? 'superjson cannot compare meta.v with 1' : '');
        }
        if (values) tree(values, []);
        if (Array.isArray(references)) {
          const [first, others] = references as unknown[];
          if (references.length > 2 || !Array.isArray(first)) malformed();
          for (const path of first as unknown[]) reference(path);
          if (others && !isInert(others)) referenceGroups(others);
        } else if (references && !isInert(references)) referenceGroups(references);
      }
    }
    return { problem: undefined, work, value: root };
  } catch (error) {
    if (error instanceof Refusal) return { problem: error.problem, work };
    throw error;
  }
}
