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
  if (typeof root !== 'object' || root === null) return undefined;
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > maxDepth) return `nesting deeper than ${maxDepth} levels`;
    if (Array.isArray(value)) {
      for (const item of value) {
        if (typeof item === 'object' && item !== null) stack.push([item, depth + 1]);
      }
      continue;
    }
    for (const key in value as Record<string, unknown>) {
      if (FORBIDDEN_KEYS.has(key)) return `forbidden key "${key}"`;
      const item = (value as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null) stack.push([item, depth + 1]);
    }
  }
  return undefined;
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
