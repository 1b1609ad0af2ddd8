import type { StateChange } from '@herald/client';

/** What the state pill can show: the client's states, plus `reconnecting` once the client has it. */
export type ShownState = 'connecting' | 'open' | 'reconnecting' | 'closed';

const REASONS: Readonly<Record<string, string>> = {
  welcomed: 'welcomed by the router',
  connect_failed: 'could not connect',
  client_closed: 'closed by this page',
  router_closed: 'the router closed the connection',
  connection_lost: 'the connection was lost',
};

/**
 * The connection state at a glance: `#state` holds the state's name only (`open`), the pill's
 * `data-state` colours it, `#state-detail` says why.
 */
export class ConnectionStateView {
  readonly #pill: HTMLElement;
  readonly #text: HTMLElement;
  readonly #detail: HTMLElement;

  constructor(pill: HTMLElement, text: HTMLElement, detail: HTMLElement) {
    this.#pill = pill;
    this.#text = text;
    this.#detail = detail;
  }

  show(state: ShownState, detail = ''): void {
    this.#pill.dataset.state = state;
    this.#text.textContent = state;
    this.#detail.textContent = detail;
    document.body.dataset.connection = state;
  }

  /** Shows a `statechange` event. */
  showChange(change: StateChange): void {
    const why = REASONS[change.reason] ?? change.reason;
    this.show(change.to, change.code === undefined ? why : `${why} (${change.code})`);
  }
}
