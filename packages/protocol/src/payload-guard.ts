/**
 * Checks on decoded JSON before anything richer runs on it, and the plain-JSON test behind the
 * codecs' fast paths. Both walk iteratively, so no input can overflow the stack here.
 */

/** Object keys that Herald refuses in payloads: superjson refuses to encode them, and they are the
 * usual way to pollute prototypes. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Why a value parsed from JSON is not acceptable as a payload, or undefined when it is:
 * nesting deeper than `maxDepth` (a scalar is depth 0, `[1]` depth 1), or a forbidden key.
 */
export function jsonTreeProblem(root: unknown, maxDepth: number): string | undefined {
  const found = findJsonTreeProblem(root, maxDepth);
  return found === undefined ? undefined : found === true ? `nesting deeper than ${maxDepth} levels` : `forbidden key "${found}"`;
}

/**
 * The reference walk behind {@link jsonTreeProblem}, without message texts (browser builds carry
 * none): `true` when `root` nests deeper than `maxDepth`, the forbidden key it met, or undefined.
 * Iterative (no input, and no `maxDepth`, can overflow the stack), with the containers still to
 * visit and their depths on two parallel stacks (no allocation per node).
 */
export function findJsonTreeProblem(root: unknown, maxDepth: number): string | true | undefined {
  if (typeof root !== 'object' || root === null) return undefined;
  const values: object[] = [root];
  const depths: number[] = [1];
  while (values.length > 0) {
    const value = values.pop()!;
    const depth = depths.pop()!;
    if (depth > maxDepth) return true;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === 'object' && item !== null) {
          values.push(item);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    for (const key in value) {
      if (FORBIDDEN_KEYS.has(key)) return key;
      const item = (value as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null) {
        values.push(item);
        depths.push(depth + 1);
      }
    }
  }
  return undefined;
}

/** Deepest `maxDepth` that {@link jsonNestsTooDeepOrHasPrototypeKey} walks by recursion (V8's stack holds about 10,000 of its frames). */
const RECURSION_LIMIT = 1000;

/**
 * Whether parsed JSON `value` nests deeper than `depthLeft` levels or has a key `__proto__`,
 * `constructor` or `prototype`: {@link jsonTreeProblem}'s verdict without the message. It runs on
 * every plain payload Herald decodes, so it is written for speed (the bench's codec scenario): one
 * function per container kind, so that each loop's property accesses stay monomorphic; a child's
 * depth is checked before the call into it, so leaves cost no call; and a key is compared with the
 * forbidden keys only when its length is 9 or 11 (theirs). Recursion is bounded by `depthLeft`, and beyond
 * 1,000 levels the iterative walk decides. A differential property test proves it equal to
 * {@link jsonTreeProblem}.
 */
export function jsonNestsTooDeepOrHasPrototypeKey(value: unknown, depthLeft: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  // `< 1` and `< 2` rather than `=== 0` and `=== 1`: the same verdict as jsonTreeProblem for any
  // number (a fraction, a negative, NaN), not only for integers.
  if (depthLeft < 1) return true;
  if (!(depthLeft <= RECURSION_LIMIT)) return findJsonTreeProblem(value, depthLeft) !== undefined;
  return Array.isArray(value) ? arrayNestsTooDeep(value, depthLeft) : objectNestsTooDeep(value as Record<string, unknown>, depthLeft);
}

/** {@link jsonNestsTooDeepOrHasPrototypeKey} for a JSON array that may still hold `depthLeft` levels (at least 1). */
function arrayNestsTooDeep(array: readonly unknown[], depthLeft: number): boolean {
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    if (typeof item === 'object' && item !== null) {
      if (depthLeft < 2) return true;
      if (Array.isArray(item) ? arrayNestsTooDeep(item, depthLeft - 1) : objectNestsTooDeep(item as Record<string, unknown>, depthLeft - 1)) return true;
    }
  }
  return false;
}

/** {@link jsonNestsTooDeepOrHasPrototypeKey} for a JSON object that may still hold `depthLeft` levels (at least 1). */
function objectNestsTooDeep(object: Record<string, unknown>, depthLeft: number): boolean {
  for (const key in object) {
    const length = key.length;
    if ((length === 9 || length === 11) && FORBIDDEN_KEYS.has(key)) return true;
    const item = object[key];
    if (typeof item === 'object' && item !== null) {
      if (depthLeft < 2) return true;
      if (Array.isArray(item) ? arrayNestsTooDeep(item, depthLeft - 1) : objectNestsTooDeep(item as Record<string, unknown>, depthLeft - 1)) return true;
    }
  }
  return false;
}

/**
 * Whether `value` survives `JSON.stringify` → `JSON.parse` unchanged: only strings, booleans, null,
 * finite numbers other than -0, arrays and plain objects, no forbidden keys, no object seen twice,
 * nesting within `maxDepth`. Such values need no superjson annotations.
 */
export function isPlainJson(root: unknown, maxDepth: number): boolean {
  if (!isPlainObjectOrArray(root)) return isPlainScalar(root);
  const seen = new Set<object>();
  const stack: Array<[object, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > maxDepth || seen.has(value)) return false;
    seen.add(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) return false; // holes become null
        const item: unknown = value[i];
        if (isPlainObjectOrArray(item)) stack.push([item, depth + 1]);
        else if (!isPlainScalar(item)) return false;
      }
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return false;
      const item: unknown = (value as Record<string, unknown>)[key];
      if (isPlainObjectOrArray(item)) stack.push([item, depth + 1]);
      else if (!isPlainScalar(item)) return false;
    }
  }
  return true;
}

/** A scalar that JSON carries as it is: a string, a boolean, null, or a finite number other than -0. */
export function isPlainScalar(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      return value === null;
    default:
      return false;
  }
}

function isPlainObjectOrArray(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return Object.getPrototypeOf(value) === Array.prototype;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
