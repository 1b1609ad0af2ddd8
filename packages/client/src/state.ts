/**
 * The client connection's states and the transitions allowed between them.
 *
 *                 welcomed                          connection_lost / router_closed / heartbeat_timeout
 *   connecting ─────────────▶ open ──────────────────────────────────────────────▶ reconnecting
 *       │                      │  ▲                        welcomed                       │
 *       │                      │  └───────────────────────────────────────────────────────┤
 *       │ connect_failed       │ client_closed / router_closed (final code)                │ client_closed /
 *       │ client_closed        ▼                                                           │ reconnect_failed
 *       └─────────────────▶ closed ◀───────────────────────────────────────────────────────┘
 */
import { VERBOSE_ERRORS } from '@herald/protocol';

export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why the state changed: a stable code an app can switch on. */
export type StateChangeReason =
  /** The router welcomed the client (first time or after a reconnect). */
  | 'welcomed'
  /** The first connection attempt failed; `connect()` rejected. */
  | 'connect_failed'
  /** `client.close()` was called. */
  | 'client_closed'
  /** The router closed the connection (`code` says why: 1001 going away, 1012 restart, 4200 slow consumer...). */
  | 'router_closed'
  /** The socket was lost without a close frame (code 1006). */
  | 'connection_lost'
  /** Nothing was heard from the router within the heartbeat timeout. */
  | 'heartbeat_timeout'
  /** Reconnecting stopped: the router refused for good, or `maxAttempts` ran out. */
  | 'reconnect_failed';

export const TRANSITIONS: Readonly<Record<ClientState, readonly ClientState[]>> = {
  connecting: ['open', 'closed'],
  open: ['reconnecting', 'closed'],
  reconnecting: ['open', 'closed'],
  closed: [],
};

/** A state change, as the `statechange` event tells it. */
export interface StateChange {
  from: ClientState;
  to: ClientState;
  reason: StateChangeReason;
  /** The close code, when a socket close caused the change. */
  code?: number;
}

/** A reconnect attempt being scheduled, as the `reconnect` event tells it. */
export interface ReconnectAttempt {
  /** 1 for the first attempt after the connection was lost. */
  attempt: number;
  /** How long until it starts, in milliseconds. */
  delayMs: number;
  /** Why the previous attempt failed, from the second attempt on. */
  error?: Error;
}

/** Checks a transition against the table. An illegal transition is a bug in the client: it throws. */
export function checkTransition(from: ClientState, to: ClientState): void {
  if (!TRANSITIONS[from].includes(to)) throw new Error(VERBOSE_ERRORS ? `herald client: illegal transition ${from} → ${to}` : `${from} ${to}`);
}
