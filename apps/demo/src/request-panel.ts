import { type Client, RemoteError, isHeraldError } from '@herald/client';
import { formatClock } from './time-format.js';
import { FORECAST_METHOD, STATS_METHOD } from './topics.js';
import { renderValue } from './value-view.js';

export interface RequestElements {
  /** Asks `demo.stats`. */
  stats: HTMLButtonElement;
  /** Where `demo.stats`'s reply (or error) shows. */
  statsResult: HTMLElement;
  /** Asks `demo.forecast` for the place in its `place` input. */
  forecast: HTMLFormElement;
  /** Where `demo.forecast`'s reply (or error) shows. */
  forecastResult: HTMLElement;
}

/**
 * The "Ask a service" panel: buttons that send requests to the demo's Node service and show the
 * reply with its types, or the error as an error. Markup (for styles and tests):
 *
 *   .request-result[data-outcome=pending|reply|error][data-method]   (one per method)
 *     .request-head > code.request-method, .request-took
 *     .request-reply > (value view)
 *     .request-error > .request-error-code, .request-error-message, .request-error-data > (value view)
 */
export class RequestPanel {
  readonly #elements: RequestElements;
  #client: Client | undefined;
  /** Bumped per request, per output: a slow reply does not overwrite a newer one. */
  readonly #generations = new WeakMap<HTMLElement, number>();

  constructor(elements: RequestElements) {
    this.#elements = elements;
    elements.stats.addEventListener('click', () => void this.#ask(STATS_METHOD, {}, elements.statsResult));
    elements.forecast.addEventListener('submit', (event) => {
      event.preventDefault();
      const place = String(new FormData(elements.forecast).get('place') ?? '').trim();
      void this.#ask(FORECAST_METHOD, { place }, elements.forecastResult);
    });
    this.setEnabled(false);
  }

  attach(client: Client): void {
    this.#client = client;
    this.setEnabled(client.state === 'open');
  }

  /** Requests can wait in the client's offline queue while it reconnects, so only `closed` disables them. */
  setEnabled(enabled: boolean): void {
    for (const control of [this.#elements.stats, ...this.#elements.forecast.querySelectorAll<HTMLInputElement | HTMLButtonElement>('input, button')]) {
      control.disabled = !enabled;
    }
  }

  async #ask(method: string, params: Record<string, unknown>, result: HTMLElement): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    const generation = (this.#generations.get(result) ?? 0) + 1;
    this.#generations.set(result, generation);
    const current = (): boolean => this.#generations.get(result) === generation;
    const started = performance.now();
    result.dataset.method = method;
    result.dataset.outcome = 'pending';
    result.replaceChildren(this.#head(method, client.state === 'open' ? 'asking…' : 'waiting for the router…'));
    try {
      const reply = await client.request(method, params, { timeout: 5000 });
      if (!current()) return;
      result.dataset.outcome = 'reply';
      const body = document.createElement('div');
      body.className = 'request-reply';
      body.append(renderValue(reply));
      result.replaceChildren(this.#head(method, this.#took(started)), body);
    } catch (error) {
      if (!current()) return;
      result.dataset.outcome = 'error';
      result.replaceChildren(this.#head(method, this.#took(started)), this.#error(error));
    }
  }

  #head(method: string, status: string): HTMLElement {
    const head = document.createElement('div');
    head.className = 'request-head';
    const name = document.createElement('code');
    name.className = 'request-method';
    name.textContent = method;
    const took = document.createElement('span');
    took.className = 'request-took';
    took.textContent = status;
    head.append(name, took);
    return head;
  }

  #took(started: number): string {
    return `${Math.round(performance.now() - started)} ms · ${formatClock(new Date())}`;
  }

  /** An error reply: its code, its message and, from a service, its data with types. */
  #error(error: unknown): HTMLElement {
    const box = document.createElement('div');
    box.className = 'request-error';
    box.setAttribute('role', 'alert');
    // A RemoteError comes from the service's handler; other codes from the router or the client.
    box.dataset.source = error instanceof RemoteError ? 'service' : 'router';
    const line = document.createElement('div');
    line.className = 'request-error-line';
    const code = document.createElement('span');
    code.className = 'request-error-code';
    code.textContent = isHeraldError(error) ? error.code : 'ERROR';
    const message = document.createElement('span');
    message.className = 'request-error-message';
    message.textContent = error instanceof Error ? error.message : String(error);
    line.append(code, message);
    box.append(line);
    if (error instanceof RemoteError && error.data !== undefined) {
      const data = document.createElement('div');
      data.className = 'request-error-data';
      const label = document.createElement('span');
      label.className = 'request-error-label';
      label.textContent = 'data';
      data.append(label, renderValue(error.data));
      box.append(data);
    }
    return box;
  }
}
