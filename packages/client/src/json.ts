/**
 * `@herald/client/json`: the client with the json codec (`herald.v1.json`) by default, for pages
 * that want plain JSON payloads and no superjson at all in their bundle. Everything else is the
 * same as `@herald/client`.
 */
import { type DefaultSchema, type HeraldSchema, jsonCodec } from '@herald/protocol';
import type { Client } from './client.js';
import type { ConnectOptions } from './connect-options.js';
import { connectWith } from './connect.js';

export * from './index.js';

/**
 * Connects to a router with the json codec unless `options.codec` names another, and resolves once
 * the router has welcomed the client. Otherwise as `connect` from `@herald/client`.
 *
 * @example
 * import { connect } from '@herald/client/json';
 * const client = await connect('ws://127.0.0.1:8080/', { name: 'Kirk' });
 */
export function connect<S extends HeraldSchema = DefaultSchema>(urls: string | readonly string[], options: ConnectOptions<S> = {}): Promise<Client<S>> {
  return connectWith<S>(jsonCodec, urls, options);
}
