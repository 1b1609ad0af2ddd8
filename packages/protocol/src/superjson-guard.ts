/**
 * Checks a superjson `meta` against its `json` before superjson sees it. superjson trusts `meta`:
 * it recurses over the annotation tree, writes wherever a path points (an index 2³² deep into an
 * empty array), walks Sets and Maps element by element for each path into them, and builds shared
 * references wherever it is told (a billion-laughs graph from a few hundred bytes). A `meta` passes
 * only if it could have been written by superjson's own encoder for that `json`:
 *
 * - only the keys `values`, `referentialEqualities` and `v` (= 1, superjson 2's path syntax);
 * - every annotation and reference path names an element that exists in `json`;
 * - no path reaches into a Set or Map through a flattened key instead of the collection's own
 *   children (superjson applies those before converting the collection, in linear time);
 * - every shared reference points at an exact JSON copy of its original (what superjson writes), or
 *   at `null` inside its original (a cycle), so the decoded graph is no larger than the JSON;
 * - bounded sizes: annotation count, reference count, path length, tree depth.
 */
import { jsonTreeProblem } from './payload-guard.js';

export interface MetaLimits {
  maxDepth: number;
  maxAnnotations: number;
}

/** Most shared-reference paths one payload may carry. */
export const MAX_REFERENCE_PATHS = 1_000;

const META_KEYS = new Set(['values', 'referentialEqualities', 'v']);

type Path = string[];

/** Why `meta` is refused for this `json`, or undefined when superjson may apply it. */
export function metaProblem(json: unknown, meta: unknown, limits: MetaLimits): string | undefined {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return 'meta must be an object';
  const fields = meta as Record<string, unknown>;
  for (const key in fields) if (!META_KEYS.has(key)) return `unexpected key "${key}"`;
  if (fields.v !== 1) return 'meta.v must be 1 (superjson 2 paths)';
  // One level of data is two levels of annotation tree ([type, children]); a Map entry two path segments.
  const maxPath = 2 * limits.maxDepth + 2;
  const treeProblem =
    jsonTreeProblem(fields.values, maxPath) ?? jsonTreeProblem(fields.referentialEqualities, 4);
  if (treeProblem !== undefined) return `meta has ${treeProblem}`;
  const annotations = collectAnnotations(fields.values, limits.maxAnnotations, maxPath);
  if (typeof annotations === 'string') return annotations;
  for (const annotation of annotations.list) {
    if (!resolve(json, annotation.path).found) return `the annotation path "${annotation.path.join('.')}" is not in the value`;
    const problem = throughCollection(annotation.path, annotations.collections, annotation.inside);
    if (problem !== undefined) return problem;
  }
  return referenceProblem(json, fields.referentialEqualities, annotations.collections, maxPath);
}

interface Annotation {
  path: Path;
  /** Keys of the collections whose children this annotation was given as. */
  inside: ReadonlySet<string>;
}

interface Annotations {
  list: Annotation[];
  /** Keys of the paths annotated as `set` or `map`. */
  collections: Set<string>;
}

function collectAnnotations(values: unknown, limit: number, maxPath: number): Annotations | string {
  const result: Annotations = { list: [], collections: new Set() };
  if (values === undefined) return result;
  const none: ReadonlySet<string> = new Set();
  const stack: Array<[unknown, Path, ReadonlySet<string>]> = [[values, [], none]];
  while (stack.length > 0) {
    const [node, origin, inside] = stack.pop()!;
    if (origin.length > maxPath) return 'an annotation path is too long';
    if (Array.isArray(node)) {
      const [type, children] = node as [unknown, unknown];
      if (!isAnnotationType(type)) return 'an annotation type must be a string or an array of strings';
      if (result.list.length >= limit) return `more than ${limit} type annotations`;
      result.list.push({ path: origin, inside });
      const isCollection = type === 'set' || type === 'map';
      if (isCollection) result.collections.add(pathKey(origin));
      if (children === undefined) continue;
      if (typeof children !== 'object' || children === null || Array.isArray(children)) {
        return 'annotation children must be an object';
      }
      const childInside = isCollection ? new Set([...inside, pathKey(origin)]) : inside;
      for (const [key, child] of Object.entries(children)) {
        const segments = parsePath(key);
        if (segments === undefined) return `invalid annotation path "${key.slice(0, 64)}"`;
        stack.push([child, [...origin, ...segments], childInside]);
      }
      continue;
    }
    if (typeof node !== 'object' || node === null) return 'an annotation node must be an array or an object';
    for (const [key, child] of Object.entries(node)) {
      const segments = parsePath(key);
      if (segments === undefined) return `invalid annotation path "${key.slice(0, 64)}"`;
      stack.push([child, [...origin, ...segments], inside]);
    }
  }
  return result;
}

function isAnnotationType(type: unknown): boolean {
  if (typeof type === 'string') return true;
  return Array.isArray(type) && type.length > 0 && type.every((part) => typeof part === 'string');
}

/** A path that passes through a converted Set or Map other than by that collection's own children. */
function throughCollection(path: Path, collections: ReadonlySet<string>, inside: ReadonlySet<string>): string | undefined {
  if (collections.size === 0) return undefined;
  let key = '';
  for (let i = 0; i < path.length - 1; i++) {
    key = extendKey(key, path[i]!, i);
    if (collections.has(key) && !inside.has(key)) {
      return `the path "${path.join('.').slice(0, 64)}" reaches into a Set or Map from outside it`;
    }
  }
  return undefined;
}

function referenceProblem(json: unknown, references: unknown, collections: ReadonlySet<string>, maxPath: number): string | undefined {
  if (references === undefined) return undefined;
  const pairs: Array<[string, unknown]> = [];
  if (Array.isArray(references)) {
    const [root, rest] = references as [unknown, unknown];
    pairs.push(['', root]);
    if (rest !== undefined) {
      if (typeof rest !== 'object' || rest === null || Array.isArray(rest)) return 'malformed referentialEqualities';
      pairs.push(...Object.entries(rest));
    }
  } else if (typeof references === 'object' && references !== null) {
    pairs.push(...Object.entries(references));
  } else {
    return 'malformed referentialEqualities';
  }
  let count = 0;
  for (const [originalKey, targets] of pairs) {
    const original = originalKey === '' && Array.isArray(references) ? [] : parsePath(originalKey);
    if (original === undefined || !Array.isArray(targets)) return 'malformed referentialEqualities';
    const source = resolve(json, original);
    if (!source.found) return 'a shared reference names a value that is not there';
    for (const target of targets) {
      if (++count > MAX_REFERENCE_PATHS) return `more than ${MAX_REFERENCE_PATHS} shared-reference paths`;
      const path = typeof target === 'string' ? parsePath(target) : undefined;
      if (path === undefined || path.length > maxPath) return 'malformed referentialEqualities';
      const copy = resolve(json, path);
      if (!copy.found) return 'a shared reference points at a value that is not there';
      if (throughCollection(path, collections, new Set()) !== undefined && count > 100) {
        return 'too many shared references into Sets or Maps';
      }
      const cycle = copy.value === null && isStrictPrefix(original, path);
      if (!cycle && !jsonEqual(source.value, copy.value)) return 'a shared reference does not point at a copy of its original';
    }
  }
  return undefined;
}

/** superjson 2 path syntax: `.` separates segments; `\` escapes `.` and `\`. */
export function parsePath(text: string): Path | undefined {
  const segments: Path = [];
  let segment = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\') {
      const next = text[i + 1];
      if (next !== '\\' && next !== '.') return undefined;
      segment += next;
      i++;
    } else if (ch === '.') {
      segments.push(segment);
      segment = '';
    } else {
      segment += ch;
    }
  }
  segments.push(segment);
  return segments;
}

const INDEX = /^(?:0|[1-9]\d*)$/;

/** Follows a path through JSON arrays and objects, by own keys and existing indices only. */
function resolve(json: unknown, path: Path): { found: true; value: unknown } | { found: false } {
  let current = json;
  for (const segment of path) {
    if (Array.isArray(current)) {
      if (!INDEX.test(segment) || Number(segment) >= current.length) return { found: false };
      current = current[Number(segment)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}

function isStrictPrefix(prefix: Path, path: Path): boolean {
  return prefix.length < path.length && prefix.every((segment, i) => path[i] === segment);
}

/** Deep equality of two JSON values, iteratively. */
function jsonEqual(a: unknown, b: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    const xKeys = Object.keys(x);
    if (xKeys.length !== Object.keys(y).length) return false;
    for (const key of xKeys) {
      if (!Object.hasOwn(y, key)) return false;
      stack.push([(x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key]]);
    }
  }
  return true;
}

function pathKey(path: Path): string {
  let key = '';
  for (let i = 0; i < path.length; i++) key = extendKey(key, path[i]!, i);
  return key;
}

function extendKey(key: string, segment: string, index: number): string {
  const escaped = segment.replaceAll('\\', '\\\\').replaceAll('\u0000', '\\0');
  return index === 0 ? `\u0000${escaped}` : `${key}\u0000${escaped}`;
}
