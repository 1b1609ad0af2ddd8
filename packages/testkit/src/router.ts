import type { DefaultSchema, HeraldSchema } from '@herald/protocol';
import { type Router, type RouterOptions, createRouter } from '@herald/server';

/** A router for tests: port 0 on loopback, no logs. Dispose it with `await using`. */
export function startRouter<S extends HeraldSchema = DefaultSchema>(options: RouterOptions<S> = {}): Promise<Router<S>> {
  return createRouter<S>({ host: '127.0.0.1', port: 0, logger: false, ...options });
}

/**
 * A router for in-memory tests: it does not listen at all (`listen: false`: no HTTP server, no
 * socket opened), no logs. Reach it with `memoryTransport`: `memoryTransport(router)`.
 *
 * @example
 * import { connect } from '@herald/client';
 * import { memoryTransport, startMemoryRouter } from '@herald/testkit';
 * await using router = await startMemoryRouter();
 * const net = memoryTransport(router);
 * const client = await connect('memory://router', { WebSocket: net.WebSocket });
 */
export function startMemoryRouter<S extends HeraldSchema = DefaultSchema>(options: Omit<RouterOptions<S>, 'listen' | 'port' | 'host' | 'server'> = {}): Promise<Router<S>> {
  return createRouter<S>({ logger: false, ...options, listen: false });
}
