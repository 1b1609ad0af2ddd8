/**
 * A port that could not be opened, as a coded error: `createRouter` rejects with a `HeraldError`
 * of code `LISTEN_FAILED` (the Node error as its `cause`) when the router's port, its metrics port
 * or a shared `server` fails to listen (a listen of createRouter's turn: shared-listen.ts): a port in use (EADDRINUSE), a `host` that is not an
 * address of this machine (EADDRNOTAVAIL) or does not resolve (ENOTFOUND, EAI_AGAIN), a port that
 * needs privileges (EACCES). The message names the options and says what to do. Before this the
 * raw Node error came out, with the engine started and a metrics port left open (router.ts then
 * closes what it started: see `Router.start`).
 */
import { once } from 'node:events';
import type { Server } from 'node:net';
import { ErrorCode, HeraldError } from '@herald/protocol';

/** Where a server was to listen, and the options that said so (for the message). */
export interface ListenTarget {
  /** `port` and `host`, `metrics.port` and `metrics.host`, or `server` (a shared server the application listens). */
  readonly options: string;
  readonly port?: number;
  readonly host?: string;
}

/** Listens `server` on `port` and `host`; rejects with `LISTEN_FAILED` when it emits `error` first. */
export async function listenOn(server: Server, port: number, host: string, options: string): Promise<void> {
  const listened = once(server, 'listening'); // first: an error may come during listen()
  server.listen(port, host);
  try {
    await listened;
  } catch (error) {
    throw listenFailed(error, { options, port, host });
  }
}

/** The `LISTEN_FAILED` error for `cause`, a Node error of `listen` (or of the host's lookup). */
export function listenFailed(cause: unknown, target: ListenTarget): HeraldError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const at = target.port === undefined ? 'its port' : `${target.host?.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const advice =
    code === 'EADDRINUSE'
      ? 'the port is in use: stop what holds it, choose another port, or give port 0 for a free one'
      : code === 'EADDRNOTAVAIL'
        ? 'the host is not an address of this machine: give one of its addresses, 127.0.0.1 or ::1 (this machine only), or 0.0.0.0 or :: (every interface)'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL'
          ? 'the host name does not resolve: check it, or give an IP address'
          : code === 'EACCES' || code === 'EPERM'
            ? 'the port needs privileges (below 1024): give a port from 1024, or let the process bind low ports'
            : 'see the cause';
  const reason = typeof code === 'string' ? code : cause instanceof Error ? cause.message : String(cause);
  return new HeraldError(ErrorCode.LISTEN_FAILED, `createRouter: could not listen on ${at} (${target.options}): ${reason}: ${advice}`, {
    cause,
    // The same call may succeed later: a port held by a process that ends, a resolver that answers again.
    retryable: code === 'EADDRINUSE' || code === 'EAI_AGAIN',
  });
}
