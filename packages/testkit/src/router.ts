import type { DefaultSchema, HeraldSchema } from '@herald/protocol';
import { type Router, type RouterOptions, createRouter } from '@herald/server';

/** A router for tests: port 0 on loopback, no logs. Dispose it with `await using`. */
export function startRouter<S extends HeraldSchema = DefaultSchema>(options: RouterOptions<S> = {}): Promise<Router<S>> {
  return createRouter<S>({ host: '127.0.0.1', port: 0, logger: false, ...options });
}
