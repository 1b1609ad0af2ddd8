import { type Codec, type DefaultSchema, type HeraldSchema, superjsonCodec } from '@herald/protocol';
import { Client } from './client.js';
import type { ConnectOptions } from './connect-options.js';

/**
 * Connects to a router and resolves once the router has welcomed the client. Payloads use the
 * superjson codec unless `options.codec` names another (`createSuperjsonCodec({ superjson })` for
 * your own superjson instance and its registered types; `jsonCodec`, or the `@herald/client/json`
 * entry, for plain JSON without superjson in the page).
 * Rejects with a `ConnectionError`: `CONNECTION_FAILED` (unreachable, handshake refused),
 * `CONNECT_TIMEOUT`, `ROUTER_FULL`, `CODEC_UNSUPPORTED`, `HELLO_INVALID` or `CONNECTION_REFUSED`.
 * A number option outside its range (README, "API"), two reconnect delays out of order, or `urls`
 * that are not a URL string or a non-empty list of them reject with a `HeraldError` `OPTION_INVALID`
 * before anything is dialled (in Node and in development builds; production pages skip the check).
 * Once connected, the client reconnects by itself (see `reconnect`).
 *
 * `urls` may be one URL or a list of routers that act as one (a cluster): the first connect tries
 * each in turn until one welcomes the client, and every reconnect attempt dials the next one, so a
 * client whose router died reaches another. `client.url` and `client.router` tell which it is on.
 *
 * @example
 * import { connect } from '@herald/client';
 * const client = await connect('ws://127.0.0.1:8080/', { name: 'Kirk', info: { role: 'dashboard' } });
 * await client.subscribe('sensors.>', (reading, meta) => console.log(meta.topic, reading));
 * await client.publish('sensors.kitchen.temp', { at: new Date(), celsius: 21.5 });
 */
export function connect<S extends HeraldSchema = DefaultSchema>(urls: string | readonly string[], options: ConnectOptions<S> = {}): Promise<Client<S>> {
  return connectWith<S>(superjsonCodec, urls, options);
}

/**
 * {@link connect} with `defaultCodec` when the options name none: each entry point picks its own
 * (`@herald/client`: superjson; `@herald/client/json`: json), so a page that uses the json codec
 * never loads superjson.
 * @internal
 */
export async function connectWith<S extends HeraldSchema = DefaultSchema>(
  defaultCodec: Codec,
  urls: string | readonly string[],
  options: ConnectOptions<S> = {},
): Promise<Client<S>> {
  const client = new Client<S>(urls, options, defaultCodec);
  await client.opened;
  return client;
}
