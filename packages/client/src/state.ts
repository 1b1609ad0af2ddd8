/**
 * The client connection's states and the transitions allowed between them.
 *
 *   connecting ──welcomed──▶ open ──client_closed / router_closed / connection_lost──▶ closed
 *        │                                                                              ▲
 *        └──────────────────────────────connect_failed / client_closed──────────────────┘
 */
export type ClientState = 'connecting' | 'open' | 'closed';

/** Why the state changed: a stable code an app can switch on. */
export type StateChangeReason =
  | 'welcomed'
  | 'connect_failed'
  | 'client_closed'
  | 'router_closed'
  | 'connection_lost';

export const TRANSITIONS: Readonly<Record<ClientState, readonly ClientState[]>> = {
  connecting: ['open', 'closed'],
  open: ['closed'],
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

/** Checks a transition against the table. An illegal transition is a bug in the client: it throws. */
export function checkTransition(from: ClientState, to: ClientState): void {
  if (!TRANSITIONS[from].includes(to)) throw new Error(`herald client: illegal transition ${from} → ${to}`);
}
