/**
 * superjson's wire format (superjson 2.2.6, `meta.v` = 1), written and read by Herald's own code.
 *
 * The superjson library is 3.9 KB min+gzip in a browser, trusts `meta` completely (it recurses over
 * it, writes wherever a path points, walks Sets and Maps element by element per path), and its
 * serializer is several times slower than JSON. This module writes the same bytes for the types
 * Herald carries (the conformance tests compare it with superjson in both directions) and reads
 * superjson's output while checking that `meta` is what superjson's encoder could have written:
 *
 * - annotations apply to the JSON before any conversion: a path passes only through JSON arrays and
 *   objects, by existing indices and own keys, so it never walks into a Set or Map already built,
 *   and never names an element that is not in the JSON (no array 2³² long from `a.4294967294`);
 * - a conversion accepts only the JSON superjson writes for it (a Date from a string, a Map from
 *   `[key, value]` pairs...), so a value is converted at most once;
 * - every shared reference points at an exact JSON copy of its original, or at `null` inside it (a
 *   cycle), so the decoded graph is never larger than the JSON; paths are checked on the JSON first;
 * - bounded counts and depths, and no recursion deeper than the annotation tree's limit.
 *
 * Both directions throw an `Error` whose message says what is wrong; the codec maps it to a coded
 * `ProtocolError`.
 */
import { fromBase64, toBase64 } from './base64.js';
import { FORBIDDEN_KEYS, isPlainScalar, jsonValueProblem } from './payload-guard.js';

/** superjson's type annotation tree: `[type, children?]` at an annotated value, `{path: tree}` above. */
export type AnnotationTree = [type: AnnotationType, children?: Record<string, AnnotationTree>] | { [path: string]: AnnotationTree };
export type AnnotationType = string | string[];
/** Shared references: `{original: [copies]}`, or `[[copies of the root]], {…}?]`. */
export type ReferenceAnnotations = Record<string, string[]> | [root: string[], others?: Record<string, string[]>];

export interface Meta {
  values?: AnnotationTree;
  referentialEqualities?: ReferenceAnnotations;
  v: 1;
}

export interface Envelope {
  json: unknown;
  meta?: Meta;
}

export interface FormatLimits {
  /** Deepest nesting of arrays and objects in the JSON (a scalar is 0). */
  maxDepth: number;
  /** Most type annotations, and most shared-reference paths. */
  maxAnnotations: number;
}

/** Typed arrays other than Uint8Array, by the name Herald's `TypedArray` annotation gives them. */
const TYPED_ARRAYS = {
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;
export type TypedArray = InstanceType<(typeof TYPED_ARRAYS)[TypedArrayName]>;

/** superjson's own `typed-array` annotation (numbers as a JSON array), read for compatibility. */
const SUPERJSON_TYPED_ARRAYS = ['Int8Array', 'Uint8Array', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'Uint8ClampedArray'];

const SPECIAL_NUMBERS = ['NaN', 'Infinity', '-Infinity', '-0'];

type Path = string[];

// ---- writing ----

interface Walked {
  json: unknown;
  annotations?: AnnotationTree;
  /** Annotations in `annotations`, for the limit. */
  count: number;
  /** Nesting of `json` (a scalar is 0), for the depth limit when the value is seen again. */
  height: number;
  /** An instance of another class, left to JSON.stringify: checked again wherever it is seen. */
  opaque?: boolean;
}

/**
 * superjson's `serialize`, for Herald's types: the same `json` and `meta`, in the same order. Throws
 * on a value superjson would refuse or JSON would drop (a function, a symbol, an invalid Date, a key
 * `__proto__`, `constructor` or `prototype`) and on a value past `limits`. Without `withMeta`, only
 * the JSON projection (what the json codec sends).
 */
export function serialize(value: unknown, limits: FormatLimits, withMeta = true): Envelope {
  // superjson tracks "non-primitive" values for shared references: objects, functions, and also
  // bigints and NaN (identical ones get a shared-reference annotation; decoding is unaffected).
  const identities = new Map<unknown, Link[]>();
  const seen = new Map<unknown, Walked>();
  const ancestors: unknown[] = [];

  const walk = (v: unknown, at: Link): Walked => {
    const depth = at.depth;
    const tracked = !isPrimitive(v);
    if (tracked) {
      const paths = identities.get(v);
      if (paths === undefined) identities.set(v, [at]);
      else paths.push(at);
      const before = seen.get(v);
      if (before !== undefined) {
        if (depth + before.height > limits.maxDepth) throw new Error(`nesting deeper than ${limits.maxDepth} levels`);
        const problem = before.opaque === true ? jsonValueProblem(v, limits.maxDepth, depth) : undefined;
        if (problem !== undefined) throw new Error(problem);
        return before;
      }
    }
    let type: AnnotationType | undefined;
    let json: unknown = v;
    let children: unknown;
    let opaque = false;
    if (typeof v === 'number') {
      if (Number.isNaN(v) || v === Infinity || v === -Infinity) json = String(v);
      else if (Object.is(v, -0)) json = '-0';
      if (json !== v) type = 'number';
    } else if (v === undefined) {
      type = 'undefined';
      json = null;
    } else if (typeof v === 'bigint') {
      type = 'bigint';
      json = v.toString();
    } else if (typeof v === 'function' || typeof v === 'symbol') {
      throw new Error(`a value JSON cannot carry (${typeof v})`);
    } else if (v instanceof Uint8Array) {
      type = ['custom', 'Uint8Array'];
      json = toBase64(v);
    } else if (v instanceof ArrayBuffer) {
      type = ['custom', 'ArrayBuffer'];
      json = toBase64(new Uint8Array(v));
    } else if (ArrayBuffer.isView(v) && typedArrayName(v) !== undefined) {
      type = ['custom', 'TypedArray'];
      json = typedArrayToJson(v);
    } else if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) throw new Error('an invalid Date');
      type = 'Date';
      json = v.toISOString();
    } else if (v instanceof Error) {
      type = 'Error';
      children = 'cause' in v ? { name: v.name, message: v.message, cause: v.cause } : { name: v.name, message: v.message };
    } else if (v instanceof RegExp) {
      type = 'regexp';
      json = String(v);
    } else if (v instanceof Set) {
      type = 'set';
      children = [...v];
    } else if (v instanceof Map) {
      type = 'map';
      children = [...v];
    } else if (v instanceof URL) {
      type = 'URL';
      json = v.href;
    } else if (Array.isArray(v) || isPlainObject(v)) {
      children = v;
    } else if (v !== null && typeof v === 'object') {
      // Another class: superjson leaves it to JSON.stringify, unannotated.
      const problem = jsonValueProblem(v, limits.maxDepth, depth);
      if (problem !== undefined) throw new Error(problem);
      opaque = true;
    }

    let walked: Walked;
    if (children === undefined) {
      const height = Array.isArray(json) ? 1 : 0; // a TypedArray's [name, bytes]
      if (depth + height > limits.maxDepth) throw new Error(`nesting deeper than ${limits.maxDepth} levels`);
      walked = { json, count: type === undefined ? 0 : 1, height, opaque, ...(type === undefined ? {} : { annotations: [type] }) };
    } else if (ancestors.includes(v)) {
      return { json: null, count: 0, height: 0 }; // a cycle: superjson writes null and a shared reference
    } else {
      if (depth + 1 > limits.maxDepth) throw new Error(`nesting deeper than ${limits.maxDepth} levels`);
      ancestors.push(v);
      const isArray = Array.isArray(children);
      const out: Record<string, unknown> | unknown[] = isArray ? [] : {};
      const inner: Record<string, AnnotationTree> = {};
      let count = type === undefined ? 0 : 1;
      let height = 1;
      const visit = (key: string | number, item: unknown): void => {
        if (isPlainScalar(item)) {
          (out as Record<string | number, unknown>)[key] = item; // the common case: no annotation, no identity
          return;
        }
        const child = walk(item, { up: at, key, depth: depth + 1 });
        (out as Record<string | number, unknown>)[key] = child.json;
        count += child.count;
        height = Math.max(height, child.height + 1);
        const escaped = escapeKey(String(key));
        if (Array.isArray(child.annotations)) inner[escaped] = child.annotations;
        else if (child.annotations !== undefined) for (const [k, tree] of Object.entries(child.annotations)) inner[`${escaped}.${k}`] = tree;
      };
      if (isArray) {
        // Only the indices: JSON drops an array's other own keys (superjson annotates them, and
        // then cannot find them in the JSON it wrote). Holes stay holes, and JSON writes null.
        const items = children as unknown[];
        for (let i = 0; i < items.length; i++) if (i in items) visit(i, items[i]);
      } else {
        for (const key of Object.keys(children as object)) {
          if (FORBIDDEN_KEYS.has(key)) throw new Error(`forbidden key "${key}"`);
          visit(key, (children as Record<string, unknown>)[key]);
        }
      }
      ancestors.pop();
      const annotated = Object.keys(inner).length > 0;
      const annotations: AnnotationTree | undefined =
        type === undefined ? (annotated ? inner : undefined) : annotated ? [type, inner] : [type];
      walked = { json: out, count, height, ...(annotations === undefined ? {} : { annotations }) };
    }
    if (walked.count > limits.maxAnnotations) throw new Error(`more than ${limits.maxAnnotations} type annotations`);
    if (tracked) seen.set(v, walked);
    return walked;
  };

  const root = walk(value, { up: undefined, key: '', depth: 0 });
  const envelope: Envelope = { json: root.json };
  if (!withMeta) return envelope;
  const references = referenceAnnotations(identities, limits.maxAnnotations);
  if (root.annotations !== undefined || references !== undefined) {
    envelope.meta = {
      ...(root.annotations === undefined ? {} : { values: root.annotations }),
      ...(references === undefined ? {} : { referentialEqualities: references }),
      v: 1,
    };
  }
  return envelope;
}

/** superjson's shared-reference annotations: for each value seen more than once, its shortest path first. */
function referenceAnnotations(identities: Map<unknown, Link[]>, limit: number): ReferenceAnnotations | undefined {
  const others: Record<string, string[]> = {};
  let root: string[] | undefined;
  let count = 0;
  for (const paths of identities.values()) {
    if (paths.length < 2) continue;
    const [first, ...copies] = [...paths].sort((a, b) => a.depth - b.depth) as [Link, ...Link[]];
    count += copies.length;
    if (count > limit) throw new Error(`more than ${limit} shared-reference paths`);
    const targets = copies.map(stringifyPath);
    if (first.depth === 0) root = targets;
    else others[stringifyPath(first)] = targets;
  }
  const hasOthers = Object.keys(others).length > 0;
  if (root !== undefined) return hasOthers ? [root, others] : [root];
  return hasOthers ? others : undefined;
}

/** superjson's notion: what it never tracks for shared references. */
function isPrimitive(v: unknown): boolean {
  return v === null || v === undefined || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'symbol' || (typeof v === 'number' && !Number.isNaN(v));
}

/** The name Herald's `TypedArray` annotation gives `view`, or undefined when it carries none. */
export function typedArrayName(view: unknown): TypedArrayName | undefined {
  for (const name of Object.keys(TYPED_ARRAYS) as TypedArrayName[]) if (view instanceof TYPED_ARRAYS[name]) return name;
  return undefined;
}

/** A typed array as Herald's `TypedArray` annotation carries it: `[name, base64 of its bytes]`. */
export function typedArrayToJson(view: ArrayBufferView): [TypedArrayName, string] {
  return [typedArrayName(view)!, toBase64(new Uint8Array(view.buffer, view.byteOffset, view.byteLength))];
}

/** The typed array `[name, base64]` stands for, or undefined when it is not such a pair. */
export function typedArrayFromJson(json: unknown): TypedArray | undefined {
  if (!Array.isArray(json) || json.length !== 2 || typeof json[1] !== 'string' || !Object.hasOwn(TYPED_ARRAYS, json[0])) return undefined;
  const Type = TYPED_ARRAYS[json[0] as TypedArrayName];
  const bytes = fromBase64(json[1]);
  if (bytes.byteLength % Type.BYTES_PER_ELEMENT !== 0) return undefined;
  return new Type(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / Type.BYTES_PER_ELEMENT);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === null || (proto === Object.prototype && v !== Object.prototype);
}

const escapeKey = (key: string): string => key.replaceAll('\\', '\\\\').replaceAll('.', '\\.');

/** Where a value is, as a chain of keys up to the root: paths are built only for shared values. */
interface Link {
  up: Link | undefined;
  key: string | number;
  depth: number;
}

function stringifyPath(at: Link): string {
  const keys: string[] = [];
  for (let link: Link | undefined = at; link?.up !== undefined; link = link.up) keys.push(escapeKey(String(link.key)));
  return keys.reverse().join('.');
}


// ---- reading ----

/**
 * superjson's `deserialize` with `inPlace`: converts `json` (freshly parsed, already checked for
 * depth and forbidden keys) as `meta` says, after checking `meta`. Throws when `meta` is refused.
 */
export function deserialize(json: unknown, meta: unknown, limits: FormatLimits): unknown {
  if (!isPlainObject(meta)) throw new Error('meta must be an object');
  for (const key in meta) if (key !== 'values' && key !== 'referentialEqualities' && key !== 'v') throw new Error(`unexpected key "${key}"`);
  if (meta.v !== 1) throw new Error('meta.v must be 1 (superjson 2 paths)');
  // One level of data is two levels of annotation tree ([type, children]); a Map entry two path segments.
  const maxPath = 2 * limits.maxDepth + 2;
  // Shared references, checked on the JSON before anything is converted: each copy is an exact
  // JSON copy of its original, or a null strictly inside a path of its group (a cycle: the encoder
  // writes null where it meets an object again inside itself, under whichever path it took first).
  const groups = meta.referentialEqualities === undefined ? [] : referenceGroups(meta.referentialEqualities, maxPath, limits.maxAnnotations);
  const references: Array<[original: Path, copy: Path]> = [];
  for (const [original, copies] of groups) {
    const source = lookup(json, original, isJsonContainer);
    for (const copy of copies) {
      const target = lookup(json, copy, isJsonContainer);
      const cycle = target === null && [original, ...copies].some((path) => copy.length > path.length && path.every((segment, i) => copy[i] === segment));
      if (!cycle && !jsonEqual(source, target)) throw new Error('a shared reference does not point at a copy of its original');
      references.push([original, copy]);
    }
  }
  // Shortest copies first: a copy replaced before anything is read or written through it, so every
  // read and write goes through the objects that stay (superjson applies them in meta order, and
  // loses some: its issue 361).
  references.sort((a, b) => a[1].length - b[1].length);

  const box = { root: json };
  // The elements of each Set and the entries of each Map built, in order, for shared references.
  const collections = new Map<unknown, unknown[]>();
  let annotations = 0;
  const apply = (tree: unknown, holder: Record<string, unknown>, key: string, depth: number): void => {
    if (depth > maxPath) throw new Error('the annotation tree is too deep');
    let children = tree;
    if (Array.isArray(tree)) {
      if (tree.length < 1 || tree.length > 2) throw new Error('an annotation is [type] or [type, children]');
      if (++annotations > limits.maxAnnotations) throw new Error(`more than ${limits.maxAnnotations} type annotations`);
      children = tree[1];
      if (children !== undefined && !isPlainObject(children)) throw new Error('annotation children must be an object');
    } else if (!isPlainObject(tree)) {
      throw new Error('an annotation node must be an array or an object');
    }
    for (const path in children as Record<string, unknown>) {
      const segments = parsePath(path);
      if (segments.length > maxPath) throw new Error('an annotation path is too long');
      const last = segments.pop()!;
      const parent = lookup(holder[key], segments, isJsonContainer);
      if (!isJsonContainer(parent) || !has(parent, last)) throw new Error(`the annotation path "${path.slice(0, 64)}" is not in the value`);
      apply((children as Record<string, unknown>)[path], parent as Record<string, unknown>, last, depth + 1);
    }
    if (Array.isArray(tree)) {
      const converted = convert(tree[0], holder[key]);
      if (converted instanceof Set || converted instanceof Map) collections.set(converted, holder[key] as unknown[]);
      holder[key] = converted;
    }
  };
  if (meta.values !== undefined) apply(meta.values, box, 'root', 0);

  // Shared references, as superjson applies them: after the values, each copy replaced by its
  // original. Paths go through Sets and Maps by position (a Map's entry, then 0 for its key or 1 for
  // its value); a collection with a replaced element is rebuilt once, in its order.
  const changed = new Set<Set<unknown> | Map<unknown, unknown>>();
  /** The parent of `path`'s last segment, and the Map whose entry that parent is, if it is one. */
  const locate = (path: Path): [parent: unknown, owner: Map<unknown, unknown> | undefined] => {
    let node: unknown = box.root;
    let owner: Map<unknown, unknown> | undefined;
    for (let i = 0; i < path.length - 1; i++) {
      owner = node instanceof Map ? node : undefined;
      node = step(node, path[i]!);
    }
    return [node, owner];
  };
  const step = (node: unknown, key: string): unknown => {
    const items = collections.get(node);
    if (items !== undefined) {
      return items[index(key, items.length)];
    }
    if (!(isJsonContainer(node) || node instanceof Error) || !has(node, key)) throw new Error('a shared reference passes through a converted value');
    return (node as Record<string, unknown>)[key];
  };
  const read = (path: Path): unknown => {
    if (path.length === 0) return box.root;
    const [parent] = locate(path);
    if (parent instanceof Map) throw new Error('a shared reference to a whole Map entry');
    return step(parent, path[path.length - 1]!);
  };
  for (const [original, copy] of references) {
    const value = read(original);
    const [parent, owner] = locate(copy);
    const key = copy[copy.length - 1]!;
    read(copy); // it is there, and not a whole Map entry
    const items = collections.get(parent);
    if (items !== undefined) items[Number(key)] = value;
    else (parent as Record<string, unknown>)[key] = value;
    if (parent instanceof Set) changed.add(parent);
    else if (owner !== undefined) changed.add(owner);
  }
  for (const collection of changed) {
    const items = collections.get(collection)!;
    collection.clear();
    if (collection instanceof Set) for (const item of items) collection.add(item);
    else for (const [k, v] of items as Array<[unknown, unknown]>) collection.set(k, v);
  }
  return box.root;
}

/** The value at `path`, going only through containers `through` accepts; throws when it is not there. */
function lookup(root: unknown, path: Path, through: (node: unknown) => boolean): unknown {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    if (!through(node) || !has(node, segment)) throw new Error(`the path "${path.join('.').slice(0, 64)}" is not in the value`);
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

const isIndex = (key: string): boolean => /^(?:0|[1-9]\d*)$/.test(key);

function has(node: unknown, key: string): boolean {
  if (Array.isArray(node)) return isIndex(key) && Number(key) < node.length;
  return typeof node === 'object' && node !== null && Object.hasOwn(node, key);
}

function index(key: string, length: number): number {
  if (!isIndex(key) || Number(key) >= length) throw new Error('a shared reference points outside a Set or Map');
  return Number(key);
}

const isJsonContainer = (node: unknown): boolean => Array.isArray(node) || (isPlainObject(node) && Object.getPrototypeOf(node) !== null);

function referenceGroups(references: unknown, maxPath: number, limit: number): Array<[Path, Path[]]> {
  let entries: Array<[Path, unknown]>;
  if (Array.isArray(references)) {
    const [root, others] = references as [unknown, unknown];
    if (references.length < 1 || references.length > 2 || (others !== undefined && !isPlainObject(others))) {
      throw new Error('malformed referentialEqualities');
    }
    entries = [[[], root], ...Object.entries(others ?? {}).map(([k, v]): [Path, unknown] => [parsePath(k), v])];
  } else if (isPlainObject(references)) {
    entries = Object.entries(references).map(([k, v]) => [parsePath(k), v]);
  } else {
    throw new Error('malformed referentialEqualities');
  }
  let count = 0;
  const targets = new Set<string>();
  return entries.map(([original, copies]) => {
    if (!Array.isArray(copies)) throw new Error('malformed referentialEqualities');
    return [
      original,
      copies.map((copy: unknown) => {
        if (++count > limit) throw new Error(`more than ${limit} shared-reference paths`);
        if (typeof copy !== 'string' || targets.has(copy)) throw new Error('malformed referentialEqualities');
        targets.add(copy);
        const path = parsePath(copy);
        if (path.length > maxPath) throw new Error('a shared-reference path is too long');
        return path;
      }),
    ];
  });
}

/** The value superjson's `type` annotation makes of `json`, accepting only what superjson writes. */
function convert(type: unknown, json: unknown): unknown {
  const string = typeof json === 'string';
  switch (type) {
    case 'undefined':
      if (json === null) return undefined;
      break;
    case 'bigint':
      if (string && /^-?\d+$/.test(json)) return BigInt(json);
      break;
    case 'Date': {
      const date = new Date(string ? json : NaN);
      if (!Number.isNaN(date.getTime())) return date;
      break;
    }
    case 'number':
      if (string && SPECIAL_NUMBERS.includes(json)) return Number(json);
      break;
    case 'regexp':
      if (string && json.startsWith('/') && json.lastIndexOf('/') > 0) {
        const end = json.lastIndexOf('/');
        return new RegExp(json.slice(1, end), json.slice(end + 1));
      }
      break;
    case 'URL':
      if (string) return new URL(json);
      break;
    case 'Error':
      if (isPlainObject(json) && typeof json.name === 'string' && typeof json.message === 'string') {
        // As superjson builds it: the cause as an own property, the stack not carried.
        const error = new Error(json.message as string, { cause: json.cause });
        error.name = json.name as string;
        error.stack = json.stack as string;
        return error;
      }
      break;
    // Repeated members are possible: a cycle writes null in each place, until the shared
    // references put the objects back (the collection is then rebuilt from its JSON, in order).
    case 'set':
      if (Array.isArray(json)) return new Set(json);
      break;
    case 'map':
      if (Array.isArray(json) && json.every((entry) => Array.isArray(entry) && entry.length === 2)) return new Map(json as Array<[unknown, unknown]>);
      break;
    default:
      if (Array.isArray(type) && type.length === 2) return convertComposite(type[0], type[1], json);
      throw new Error(`unknown annotation type ${JSON.stringify(type).slice(0, 64)}`);
  }
  throw new Error(`a ${JSON.stringify(type)} annotation on a value superjson would not write for it`);
}

function convertComposite(kind: unknown, name: unknown, json: unknown): unknown {
  if (kind === 'custom') {
    if (name === 'Uint8Array' && typeof json === 'string') return fromBase64(json);
    if (name === 'ArrayBuffer' && typeof json === 'string') return fromBase64(json).buffer;
    const typed = name === 'TypedArray' ? typedArrayFromJson(json) : undefined;
    if (typed !== undefined) return typed;
  } else if (kind === 'typed-array' && SUPERJSON_TYPED_ARRAYS.includes(name as string) && Array.isArray(json) && json.every((n) => typeof n === 'number')) {
    return new (globalThis[name as 'Uint8Array'])(json as number[]);
  }
  throw new Error(`unknown or malformed ${JSON.stringify([kind, name]).slice(0, 64)} annotation`);
}

/** superjson 2 path syntax: `.` separates segments; `\` escapes `.` and `\`. */
export function parsePath(text: string): Path {
  const segments: Path = [];
  let segment = '';
  for (let i = 0; i < text.length; i++) {
    let ch = text[i]!;
    if (ch === '\\') {
      ch = text[++i]!;
      if (ch !== '\\' && ch !== '.') throw new Error(`invalid path "${text.slice(0, 64)}"`);
    } else if (ch === '.') {
      segments.push(segment);
      segment = '';
      continue;
    }
    segment += ch;
  }
  segments.push(segment);
  return segments;
}

/** Deep equality of two JSON values, iteratively. */
function jsonEqual(a: unknown, b: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null || Array.isArray(x) !== Array.isArray(y)) return false;
    const keys = Object.keys(x);
    if (keys.length !== Object.keys(y).length) return false;
    for (const key of keys) {
      if (!Object.hasOwn(y, key)) return false;
      stack.push([(x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key]]);
    }
  }
  return true;
}
