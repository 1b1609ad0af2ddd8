/**
 * A shared server (`createRouter({ server })`) that is not listening yet when `createRouter` is
 * called. The rule (README, "Router"): `createRouter` watches the server until the end of the turn
 * of the event loop it was called in (one `setImmediate`). A listen that settles by then is
 * awaited: `createRouter` resolves with the server listening, or rejects with `LISTEN_FAILED` when
 * that listen fails. This is a listen started in the same turn (before or after the call, before
 * any `await`) on an IP address or on no host: Node settles those on the next ticks. Otherwise no
 * listen was started (or one on a host name is still waiting for its DNS lookup, or a cluster
 * worker's for the primary): `createRouter` resolves at once with the router attached, as `ws`'s
 * `new WebSocketServer({ server })` and Socket.IO's `attach` do. The router then takes upgrades as
 * soon as the server listens, logs "router listening" then, `/readyz` answers not ready until then,
 * and a failure of that later listen is the server's own `error` event (the application's).
 *
 * Before this, `createRouter` awaited `listening`: the usual order
 * `const router = await createRouter({ server }); server.listen(3000)` waited forever.
 */
import type { Server } from 'node:net';
// node:timers' own, not the global: a test's fake timers (vitest's vi.useFakeTimers) replace the
// global setImmediate, and createRouter would then wait until the test advanced its clock.
import { clearImmediate, setImmediate } from 'node:timers';
import { listenFailed } from './listen-failure.js';

/** How a listen started by the end of `createRouter`'s turn settled: `not_started` when none did. */
export type ListenStart = 'listening' | 'not_started' | { readonly failed: unknown };

/**
 * Starts watching `server` (when given, and not listening): call it synchronously in
 * `createRouter`, before any `await`, so that a listen of the same turn is seen. Never rejects; the
 * listeners it adds are gone once it settles (at the latest at the end of the turn).
 */
export function watchListenStart(server: Server | undefined): Promise<ListenStart> | undefined {
  if (server === undefined || server.listening) return undefined;
  return new Promise((resolve) => {
    let turn: NodeJS.Immediate | undefined;
    const settle = (outcome: ListenStart): void => {
      clearImmediate(turn);
      server.off('listening', onListening);
      server.off('error', onError);
      resolve(outcome);
    };
    const onListening = (): void => settle('listening');
    // Taking `error` here (only until the turn ends) is what turns a failing listen into LISTEN_FAILED.
    const onError = (error: unknown): void => settle({ failed: error });
    server.on('listening', onListening);
    server.on('error', onError);
    turn = setImmediate(() => settle(server.listening ? 'listening' : 'not_started'));
  });
}

/**
 * Whether the shared `server` listens once createRouter's turn is over: true when it listens,
 * false when no listen settled in that turn (the router is attached and waits for one). Rejects
 * with `LISTEN_FAILED` when a listen of that turn failed.
 */
export async function sharedServerListens(server: Server, start: Promise<ListenStart> | undefined): Promise<boolean> {
  const outcome = server.listening ? 'listening' : await (start ?? watchListenStart(server));
  if (typeof outcome === 'object') throw listenFailed(outcome.failed, { options: 'server' });
  return server.listening;
}

/** The message of `router.url` and `router.port` while the shared server is not listening. */
export const NOT_LISTENING_YET =
  'router: the shared server is not listening yet: router.url and router.port are known once it listens (await once(server, "listening"))';
