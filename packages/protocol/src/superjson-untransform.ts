/**
 * superjson 2.2.6's `untransformValue`, for the guard to apply each value annotation as it checks
 * it (issue 11): the decode then walks `meta` once instead of twice, without superjson's per-path
 * array copies and per-segment checks. It does what superjson does, type by type, on the
 * instance's own registries (custom types, classes, symbols, Error properties); the differential
 * tests in superjson-codec.test.ts compare every decode with `instance.parse`. Shared references
 * are still applied by superjson itself.
 */
import type { SuperJSON } from 'superjson';
import type { ApplyAnnotation } from './superjson-guard.js';

/** superjson's table of typed-array constructors, a plain object looked up as it does. */
const constructorToName: Record<string, new (values: unknown) => unknown> = {
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  Uint8ClampedArray,
} as Record<string, new (values: unknown) => unknown>;

interface ErrorJson {
  name: string;
  message: string;
  cause?: unknown;
  stack?: string;
  [prop: string]: unknown;
}

/** The annotation applier for `instance`. */
export function untransformer(instance: SuperJSON): ApplyAnnotation {
  return (type, json) => {
    if (typeof type === 'string') {
      switch (type) {
        case 'undefined':
          return undefined;
        case 'bigint':
          return BigInt(json as string);
        case 'Date':
          return new Date(json as string);
        case 'Error': {
          const v = json as ErrorJson;
          const error = new Error(v.message, { cause: v.cause }) as Error & Record<string, unknown>;
          error.name = v.name;
          error.stack = v.stack;
          for (const prop of instance.allowedErrorProps) error[prop] = v[prop];
          return error;
        }
        case 'regexp': {
          const regex = json as string;
          return new RegExp(regex.slice(1, regex.lastIndexOf('/')), regex.slice(regex.lastIndexOf('/') + 1));
        }
        case 'set':
          return new Set(json as unknown[]);
        case 'map':
          return new Map(json as Array<[unknown, unknown]>);
        case 'number':
          return Number(json);
        case 'URL':
          return new URL(json as string);
      }
    } else {
      switch (type[0]) {
        case 'symbol': {
          const value = instance.symbolRegistry.getValue(type[1]);
          if (!value) throw new Error('Trying to deserialize unknown symbol');
          return value;
        }
        case 'class': {
          const clazz = instance.classRegistry.getValue(type[1]) as { prototype: object } | undefined;
          if (!clazz) throw new Error(`Trying to deserialize unknown class '${type[1]}'`);
          return Object.assign(Object.create(clazz.prototype) as object, json);
        }
        case 'custom': {
          const transformer = instance.customTransformerRegistry.findByName(type[1]) as { deserialize(v: unknown): unknown } | undefined;
          if (!transformer) throw new Error('Trying to deserialize unknown custom value');
          return transformer.deserialize(json);
        }
        case 'typed-array': {
          const ctor = constructorToName[type[1]];
          if (!ctor) throw new Error('Trying to deserialize unknown typed array');
          return new ctor(json);
        }
      }
    }
    throw new Error(`Unknown transformation: ${String(type)}`);
  };
}
