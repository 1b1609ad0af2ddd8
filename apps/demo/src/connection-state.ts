import type { ReconnectAttempt, StateChange } from '@herald/client';

/** What the state pill can show: the client's states. */
export type ShownState = 'connecting' | 'open' | 'reconnecting' | 'closed';

const REASONS: Readonly<Record<string, string>> = {
  welcomed: 'welcomed by the router',
  connect_failed: 'could not connect',
  client_closed: 'closed by this page',
  router_closed: 'the router closed the connection',
  connection_lost: 'the connection was lost',
  heartbeat_timeout: 'nothing heard from the router',
  reconnect_failed: 'gave up reconnecting',
};

/**
 * The connection state at a glance: `#state` holds the state's name only (`open`), the pill's
 * `data-state` colours it, `#state-detail` says why and, while reconnecting, which attempt comes
 * when (`data-attempt` on the pill).
 */
export class ConnectionStateView {
  readonly #pill: HTMLElement;
  readonly #text: HTMLElement;
  readonly #detail: HTMLElement;
  #why = '';
  #countdown: ReturnType<typeof setInterval> | undefined;

  constructor(pill: HTMLElement, text: HTMLElement, detail: HTMLElement) {
    this.#pill = pill;
    this.#text = text;
    this.#detail = detail;
  }

  show(state: ShownState, detail = ''): void {
    this.#stopCountdown();
    this.#why = detail;
    this.#pill.dataset.state = state;
    if (state !== 'reconnecting') delete this.#pill.dataset.attempt;
    this.#text.textContent = state;
    this.#detail.textContent = detail;
    document.body.dataset.connection = state;
  }

  /** Shows a `statechange` event. */
  showChange(change: StateChange): void {
    const why = REASONS[change.reason] ?? change.reason;
    this.show(change.to, change.code === undefined ? why : `${why} (${change.code})`);
  }

  /** Shows a `reconnect` event: `… · attempt 2 in 740 ms`, counting down. */
  showAttempt(attempt: ReconnectAttempt): void {
    this.#stopCountdown();
    this.#pill.dataset.attempt = String(attempt.attempt);
    const due = Date.now() + attempt.delayMs;
    const render = (): void => {
      const left = Math.max(0, due - Date.now());
      const when = left === 0 ? 'trying now' : `next try in ${left < 1000 ? `${left} ms` : `${(left / 1000).toFixed(1)} s`}`;
      this.#detail.textContent = `${this.#why} · attempt ${attempt.attempt} (waits ${attempt.delayMs} ms), ${when}`;
      if (left === 0) this.#stopCountdown();
    };
    render();
    this.#countdown = setInterval(render, 100);
  }

  #stopCountdown(): void {
    clearInterval(this.#countdown);
    this.#countdown = undefined;
  }
}
