/**
 * A fast path for `SuperJSON#stringify` on an instance that has only Herald's registrations
 * (issue 11): one walk that writes superjson's exact bytes for plain JSON, Date, Map, Set, BigInt,
 * undefined, NaN, ±Infinity, -0, RegExp, URL and Herald's binary types, without superjson's
 * per-node path arrays, rule lookups and identity bookkeeping. Plain subtrees are not copied.
 *
 * It gives up (returns undefined, and the library encodes) on anything else: a value seen twice
 * (superjson then writes shared references: objects, and also equal BigInts and NaNs, which it
 * tracks by value), Errors, class instances, functions, symbols, invalid Dates, arrays with holes
 * or extra properties, prototype keys, and values past the depth or annotation limits. The
 * differential tests in superjson-codec.test.ts prove it byte-identical to the library.
 */
import { FORBIDDEN_KEYS } from './payload-guard.js';
import type { SuperjsonGuardLimits } from './superjson-guard.js';
import { binaryToJson } from './superjson-interop.js';

/** superjson's annotation tree: `[type, children?]` at a converted value, `{path: tree}` above. */
type Tree = [type: string | [string, string], children?: Record<string, Tree>] | { [path: string]: Tree };

/** Returned by {@link walk} when the fast path gives up. */
const GIVE_UP: unique symbol = Symbol('give up');

interface Walk {
  readonly maxDepth: number;
  readonly maxAnnotations: number;
  annotations: number;
  /** Objects, BigInts and NaN met so far: superjson tracks all of them for shared references. */
  readonly seen: Set<unknown>;
  /** The annotations of the value the last `walk` call returned (undefined: none). */
  tree: Tree | undefined;
}

const escapeKey = (key: string): string => (key.includes('\\') || key.includes('.') ? key.replace(/\\/g, '\\\\').replace(/\./g, '\\.') : key);

/** `value` as superjson's `stringify` writes it, or undefined to leave it to the library. */
export function encodeRich(value: unknown, limits: SuperjsonGuardLimits): string | undefined {
  const state: Walk = { maxDepth: limits.maxDepth, maxAnnotations: limits.maxAnnotations, annotations: 0, seen: new Set(), tree: undefined };
  const json = walk(value, 1, state);
  if (json === GIVE_UP) return undefined;
  if (state.tree === undefined) return `{"json":${JSON.stringify(json)}}`;
  return JSON.stringify({ json, meta: { values: state.tree, v: 1 } });
}

function leaf(state: Walk, type: string | [string, string]): Tree | undefined {
  return ++state.annotations > state.maxAnnotations ? undefined : [type];
}

/** The JSON superjson writes for `value` at nesting `level` (a container there is `level` deep); its annotations in `state.tree`. */
function walk(value: unknown, level: number, state: Walk): unknown {
  state.tree = undefined;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number': {
      let text: string;
      if (Number.isFinite(value)) {
        if (value !== 0 || 1 / value > 0) return value;
        text = '-0';
      } else if (Number.isNaN(value)) {
        if (state.seen.has(value)) return GIVE_UP;
        state.seen.add(value);
        text = 'NaN';
      } else {
        text = value > 0 ? 'Infinity' : '-Infinity';
      }
      state.tree = leaf(state, 'number');
      return state.tree === undefined ? GIVE_UP : text;
    }
    case 'bigint':
      if (state.seen.has(value)) return GIVE_UP;
      state.seen.add(value);
      state.tree = leaf(state, 'bigint');
      return state.tree === undefined ? GIVE_UP : value.toString();
    case 'undefined':
      state.tree = leaf(state, 'undefined');
      return state.tree === undefined ? GIVE_UP : null;
    case 'object':
      if (value === null) return null;
      break;
    default:
      return GIVE_UP;
  }
  if (state.seen.has(value)) return GIVE_UP;
  state.seen.add(value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) return level > state.maxDepth ? GIVE_UP : walkArray(value as unknown[], level, state);
  if (proto === Object.prototype || proto === null) return level > state.maxDepth ? GIVE_UP : walkObject(value as Record<string, unknown>, level, state);
  return walkOther(value, level, state);
}

function walkArray(array: unknown[], level: number, state: Walk): unknown {
  const length = array.length;
  // superjson walks own enumerable keys: holes and extra properties would differ from JSON's view.
  if (Object.keys(array).length !== length) return GIVE_UP;
  let copy: unknown[] | undefined;
  let inner: Record<string, Tree> | undefined;
  for (let i = 0; i < length; i++) {
    const item = array[i];
    const json = walk(item, level + 1, state);
    if (json === GIVE_UP) return GIVE_UP;
    const tree = state.tree;
    if (tree !== undefined) {
      copy ??= array.slice(0, i);
      inner = addInner(inner, String(i), tree);
    }
    if (copy !== undefined) copy.push(json);
  }
  state.tree = inner;
  return copy ?? array;
}

function walkObject(object: Record<string, unknown>, level: number, state: Walk): unknown {
  const keys = Object.keys(object);
  let copy: Record<string, unknown> | undefined;
  let inner: Record<string, Tree> | undefined;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (FORBIDDEN_KEYS.has(key)) return GIVE_UP;
    const json = walk(object[key], level + 1, state);
    if (json === GIVE_UP) return GIVE_UP;
    const tree = state.tree;
    if (tree !== undefined) {
      if (copy === undefined) {
        copy = {};
        for (let j = 0; j < k; j++) copy[keys[j]!] = object[keys[j]!];
      }
      inner = addInner(inner, key, tree);
    }
    if (copy !== undefined) copy[key] = json;
  }
  state.tree = inner;
  return copy ?? object;
}

/** superjson's flattening: a converted child is `key: tree`, a plain child's paths are `key.path`. */
function addInner(inner: Record<string, Tree> | undefined, key: string, tree: Tree, escaped = escapeKey(key)): Record<string, Tree> {
  const target = inner ?? {};
  if (Array.isArray(tree)) target[escaped] = tree;
  else for (const path in tree) target[`${escaped}.${path}`] = tree[path]!;
  return target;
}

function walkOther(value: object, level: number, state: Walk): unknown {
  if (value instanceof Date) {
    const time = value.getTime();
    if (Number.isNaN(time)) return GIVE_UP;
    state.tree = leaf(state, 'Date');
    return state.tree === undefined ? GIVE_UP : value.toISOString();
  }
  if (value instanceof Map) {
    if (level + 1 > state.maxDepth) return GIVE_UP;
    const entries: unknown[] = [];
    let inner: Record<string, Tree> | undefined;
    let row = 0;
    for (const [key, item] of value) {
      const jsonKey = walk(key, level + 2, state);
      if (jsonKey === GIVE_UP) return GIVE_UP;
      const keyTree = state.tree;
      const jsonItem = walk(item, level + 2, state);
      if (jsonItem === GIVE_UP) return GIVE_UP;
      // superjson walks each entry as a [key, value] array: flatten through that level too, so
      // that its integer-like keys ("1" before "0.x") come out in the same order.
      let pair = keyTree === undefined ? undefined : addInner(undefined, '0', keyTree);
      if (state.tree !== undefined) pair = addInner(pair, '1', state.tree);
      if (pair !== undefined) inner = addInner(inner, String(row), pair);
      entries.push([jsonKey, jsonItem]);
      row++;
    }
    return container(state, 'map', inner, entries);
  }
  if (value instanceof Set) {
    const items: unknown[] = [];
    let inner: Record<string, Tree> | undefined;
    let index = 0;
    for (const item of value) {
      const json = walk(item, level + 1, state);
      if (json === GIVE_UP) return GIVE_UP;
      if (state.tree !== undefined) inner = addInner(inner, String(index), state.tree);
      items.push(json);
      index++;
    }
    return container(state, 'set', inner, items);
  }
  if (value instanceof RegExp) {
    state.tree = leaf(state, 'regexp');
    return state.tree === undefined ? GIVE_UP : String(value);
  }
  if (value instanceof URL) {
    state.tree = leaf(state, 'URL');
    return state.tree === undefined ? GIVE_UP : value.toString();
  }
  const binary = binaryToJson(value);
  if (binary === undefined) return GIVE_UP;
  // [name, base64] is one more level of nesting.
  if (Array.isArray(binary[1]) && level > state.maxDepth) return GIVE_UP;
  state.tree = leaf(state, ['custom', binary[0]]);
  return state.tree === undefined ? GIVE_UP : binary[1];
}

function container(state: Walk, type: string, inner: Record<string, Tree> | undefined, json: unknown[]): unknown {
  if (++state.annotations > state.maxAnnotations) return GIVE_UP;
  state.tree = inner === undefined ? [type] : [type, inner];
  return json;
}
