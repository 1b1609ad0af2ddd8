/**
 * Browser builds of the superjson codec have no fast paths (see superjson-fast.ts): the codec uses
 * superjson's own `stringify` and `deserialize`, behind the same guard, which keeps pages small.
 */
import { findJsonTreeProblem } from './payload-guard.js';
import type * as fast from './superjson-fast.js';

/** None in browsers: the codec encodes with `instance.stringify`. */
export const encodeRich: typeof fast.encodeRich | undefined = undefined;
/** None in browsers: the codec decodes with `instance.deserialize` after the guard. */
export const untransformer: typeof fast.untransformer | undefined = undefined;
/** None in browsers: plain payloads skip superjson, the others go through the guard and `instance.deserialize`. */
export const decodeCommon: typeof fast.decodeCommon | undefined = undefined;
/** None in browsers: plain payloads are parsed whole, then checked. */
export const decodePlainText: typeof fast.decodePlainText | undefined = undefined;
/** Browsers check nesting and prototype keys with the compact reference walk (same verdict, proved by payload-guard.test.ts). */
export const jsonNestsTooDeepOrHasPrototypeKey: typeof fast.jsonNestsTooDeepOrHasPrototypeKey = (value, maxDepth) => findJsonTreeProblem(value, maxDepth) !== undefined;
