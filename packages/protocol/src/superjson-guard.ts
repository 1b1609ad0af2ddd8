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
import { jsonNestsTooDeepOrHasPrototypeKey } from '#superjson-fast';

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
      if (escaped !== '.') throw new Refusal(VERBOSE_ERRORS ? 'a path has an invalid escape' : '');
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
  /** Converts each annotated value in place, in superjson's order, as the guard accepts it. */
  apply?: ApplyAnnotation;
}

/** What the guard found, and with `apply`, the converted value (before shared references). */
export interface GuardResult extends GuardReport {
  /** With `apply` and no problem: `json` with every value annotation applied. */
  value?: unknown;
}


/**
 * Checks a parsed superjson envelope `{json, meta?}` whose text was `bytes` long. Linear in
 * `bytes`: it stops as soon as the count passes the budget.
 */
export function guardSuperjsonEnvelope(envelope: unknown, bytes: number, limits: SuperjsonGuardLimits, options: GuardOptions = {}): GuardResult {
  const guard = new Guard(bytes, limits, options);
  try {
    guard.envelope(envelope);
    return { problem: undefined, work: guard.work, value: guard.root };
  } catch (error) {
    if (error instanceof Refusal) return { problem: error.problem, work: guard.work };
    throw error;
  }
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

class Guard {
  work = 0;
  readonly #budget: number;
  readonly #limits: SuperjsonGuardLimits;
  /** The JSON as parsed, then as converted (with `apply`). */
  root: unknown;
  readonly #apply: ApplyAnnotation | undefined;
  #legacy = false;
  #annotations = 0;
  #referencePaths = 0;
  /** JSON arrays and objects that an annotation converts, with the annotation's type. */
  readonly #converted = new Map<object, string>();
  /** With `apply`: each converted value's JSON, to follow reference paths through it. */
  readonly #sources = new Map<unknown, unknown>();

  constructor(bytes: number, limits: SuperjsonGuardLimits, options: GuardOptions) {
    this.#budget = limits.maxWorkPerByte * bytes;
    this.#limits = limits;
    this.#apply = options.apply;
  }

  #spend(steps: number): void {
    this.work += steps;
    if (this.work > this.#budget) {
      throw new Refusal(VERBOSE_ERRORS ? `decoding it would take more than ${this.#limits.maxWorkPerByte} steps per byte (superjson walks every path from the root)` : '');
    }
  }

  /**
   * The envelope, read as superjson's `deserialize` reads it: `json` and `meta` (other keys are
   * ignored), and from `meta` only `values`, `referentialEqualities` and `v`. A `meta` that is not
   * an object (null, a string, an array) carries no annotations, as for superjson.
   */
  envelope(envelope: unknown): void {
    if (!isRecord(envelope)) throw new Refusal(VERBOSE_ERRORS ? 'a superjson payload is an object {"json": …, "meta"?: …}' : '');
    if (!Object.hasOwn(envelope, 'json')) {
      // `{}`: what superjson writes for a value whose root JSON drops (a function, a symbol), and
      // reads as undefined. Any other object without `json` is refused (superjson never writes
      // one; it is most often a value sent without its envelope, PROTOCOL.md section 4).
      if (Object.keys(envelope).length > 0) throw new Refusal(VERBOSE_ERRORS ? 'a superjson payload is an object {"json": …, "meta"?: …}' : '');
      this.root = undefined;
      return;
    }
    this.root = envelope.json;
    this.#json(envelope.json);
    const meta = envelope.meta;
    if (!isRecord(meta)) return;
    const { values, referentialEqualities } = meta;
    if (!values && !referentialEqualities) return;
    // superjson reads paths in the legacy syntax when `(meta.v ?? 0) < 1`, whatever v is.
    try {
      this.#legacy = ((meta.v ?? 0) as number) < 1;
    } catch {
      throw new Refusal(VERBOSE_ERRORS ? 'superjson cannot compare meta.v with 1' : '');
    }
    if (values) this.#tree(values, []);
    if (referentialEqualities) this.#references(referentialEqualities);
  }

  /**
   * Depth and prototype keys of `json`. superjson takes no step on the JSON itself (it is parsed
   * in place), so nothing is counted. The fast walk decides; the reference walk names the problem.
   */
  #json(value: unknown): void {
    if (!jsonNestsTooDeepOrHasPrototypeKey(value, this.#limits.maxDepth)) return;
    throw new Refusal(VERBOSE_ERRORS ? `the payload has ${jsonTreeProblem(value, this.#limits.maxDepth) ?? 'nesting or a prototype key'}` : '');
  }

  #path(origin: readonly string[], key: string): string[] {
    this.#spend(key.length + origin.length + 1);
    const path = origin.concat(parseSuperjsonPath(key, this.#legacy));
    if (path.length > this.#limits.maxDepth) throw new Refusal(VERBOSE_ERRORS ? `a path is longer than ${this.#limits.maxDepth} keys` : '');
    return path;
  }

  /** superjson's `traverse`, children before their node; recursion is bounded by the path length. */
  #tree(tree: unknown, origin: readonly string[]): void {
    if (!tree || isInert(tree)) return;
    if (Array.isArray(tree)) {
      if (tree.length < 1 || tree.length > 2) throw new Refusal(VERBOSE_ERRORS ? 'an annotation is [type] or [type, children]' : '');
      const children: unknown = tree[1];
      if (children && !isInert(children)) {
        if (!isRecord(children)) throw new Refusal(VERBOSE_ERRORS ? "an annotation's children must be an object" : '');
        for (const key in children) this.#tree(children[key], this.#path(origin, key));
      }
      this.#annotate(tree[0], origin);
      return;
    }
    if (!isRecord(tree)) throw new Refusal(VERBOSE_ERRORS ? 'an annotation tree node must be an array or an object' : '');
    for (const key in tree) this.#tree(tree[key], this.#path(origin, key));
  }

  #annotate(type: unknown, path: readonly string[]): void {
    if (++this.#annotations > this.#limits.maxAnnotations) throw new Refusal(VERBOSE_ERRORS ? `more than ${this.#limits.maxAnnotations} annotations` : '');
    let name: string;
    if (typeof type === 'string' && SIMPLE_TYPES.has(type)) name = type;
    else if (Array.isArray(type) && type.length === 2 && COMPOSITE_TYPES.has(type[0] as string) && typeof type[1] === 'string') name = type[0] as string;
    else throw new Refusal(VERBOSE_ERRORS ? 'unknown annotation type' : '');
    // Annotations apply to the JSON as parsed: never through a value an earlier one converted
    // (superjson would step through a Set or Map element by element, once per path).
    let parent: unknown;
    let node = this.root;
    for (const key of path) {
      if (typeof node === 'object' && node !== null && this.#converted.has(node)) throw new Refusal(VERBOSE_ERRORS ? 'an annotation path passes through a converted value' : '');
      parent = node;
      node = this.#child(node, key);
    }
    this.#spend(2 * path.length + 1);
    if (typeof node === 'object' && node !== null) {
      if (this.#converted.has(node)) throw new Refusal(VERBOSE_ERRORS ? 'a value is annotated twice' : '');
      this.#converted.set(node, name);
    }
    if (name === 'bigint' && typeof node === 'string' && node.length > this.#limits.maxBigIntLength) {
      throw new Refusal(VERBOSE_ERRORS ? `a bigint longer than ${this.#limits.maxBigIntLength} digits` : '');
    }
    if (this.#apply !== undefined) {
      const converted = this.#apply(type as string | [string, string], node);
      if (typeof converted === 'object' && converted !== null) {
        this.#converted.set(converted, name);
        this.#sources.set(converted, node);
      }
      if (path.length === 0) this.root = converted;
      else if (Array.isArray(parent)) parent[+path[path.length - 1]!] = converted;
      else (parent as Record<string, unknown>)[path[path.length - 1]!] = converted;
    }
  }

  /** The child of a JSON array or object that `key` names, as superjson's setDeep reads it. */
  #child(node: unknown, key: string): unknown {
    if (FORBIDDEN_KEYS.has(key)) throw new Refusal(VERBOSE_ERRORS ? `forbidden key "${key}" in a path` : '');
    if (Array.isArray(node)) {
      const index = +key;
      if (!Number.isInteger(index) || index < 0 || index >= node.length) throw new Refusal(VERBOSE_ERRORS ? 'a path names something that is not in the value' : '');
      return node[index];
    }
    if (isRecord(node) && Object.hasOwn(node, key)) return node[key];
    throw new Refusal(VERBOSE_ERRORS ? 'a path names something that is not in the value' : '');
  }

  #references(references: unknown): void {
    if (Array.isArray(references)) {
      const [root, others] = references as unknown[];
      if (references.length > 2 || !Array.isArray(root)) throw new Refusal(VERBOSE_ERRORS ? 'malformed referentialEqualities' : '');
      for (const path of root) this.#reference(path);
      if (others && !isInert(others)) this.#referenceGroups(others);
      return;
    }
    if (!isInert(references)) this.#referenceGroups(references);
  }

  #referenceGroups(groups: unknown): void {
    if (!isRecord(groups)) throw new Refusal(VERBOSE_ERRORS ? 'malformed referentialEqualities' : '');
    for (const original in groups) {
      const copies = groups[original];
      if (!Array.isArray(copies)) throw new Refusal(VERBOSE_ERRORS ? 'malformed referentialEqualities' : '');
      this.#reference(original);
      for (const copy of copies) this.#reference(copy);
    }
  }

  /**
   * A shared-reference path, applied after every conversion: through a converted Set superjson
   * steps through `index + 1` elements, through a Map `row + 1` entries, twice (read and write).
   */
  #reference(text: unknown): void {
    if (typeof text !== 'string') throw new Refusal(VERBOSE_ERRORS ? 'malformed referentialEqualities' : '');
    if (++this.#referencePaths > this.#limits.maxAnnotations) throw new Refusal(VERBOSE_ERRORS ? `more than ${this.#limits.maxAnnotations} shared-reference paths` : '');
    const path = this.#path([], text);
    let node = this.root;
    for (let i = 0; i < path.length; i++) {
      if (this.#sources.has(node)) node = this.#sources.get(node);
      const kind = typeof node === 'object' && node !== null ? this.#converted.get(node) : undefined;
      const key = path[i]!;
      if (kind === 'set' || kind === 'map') {
        node = this.#child(node, key);
        this.#spend(2 * (+key + 1));
        if (kind === 'map') {
          if (i + 1 === path.length) throw new Refusal(VERBOSE_ERRORS ? 'a path names a whole Map entry' : '');
          if (!Array.isArray(node)) throw new Refusal(VERBOSE_ERRORS ? 'a Map entry is not a [key, value] pair' : '');
          node = node[+path[++i]! === 0 ? 0 : 1];
        }
      } else {
        node = this.#child(node, key);
        this.#spend(2);
      }
    }
  }
}
