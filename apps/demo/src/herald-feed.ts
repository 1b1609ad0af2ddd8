import { type Client, connect } from '@herald/client';
import feedCss from './feed-view.css?inline';
import { FeedView } from './feed-view.js';
import { routerUrl } from './router-url.js';
import valueCss from './value-view.css?inline';
import widgetCss from './widget.css?inline';

/**
 * `<herald-feed topic="demo.>" url="ws://host:8080/herald" limit="10" name="Lobby screen" heading="Ship status">`: a
 * live feed in one tag. Every attribute is optional: `url` defaults to the router of the server
 * this script came from, `topic` to `demo.>`. It renders in a shadow root (styles do not leak
 * either way), connects when added to a page and closes when removed.
 *
 * Shadow markup for tests: `.hf-state[data-state]` (its text is the state), `.hf-list > .feed-item`.
 */
export class HeraldFeedElement extends HTMLElement {
  static readonly observedAttributes = ['topic', 'url', 'limit', 'name'];
  readonly #shadow: ShadowRoot;
  #client: Client | undefined;
  /** Bumped on every (re)start, so a connect that finishes late knows it is stale. */
  #generation = 0;

  constructor() {
    super();
    this.#shadow = this.attachShadow({ mode: 'open' });
  }

  connectedCallback(): void {
    void this.#start();
  }

  disconnectedCallback(): void {
    this.#stop();
  }

  attributeChangedCallback(_name: string, previous: string | null, next: string | null): void {
    if (previous !== next && this.isConnected) void this.#start();
  }

  get topic(): string {
    return this.getAttribute('topic') ?? 'demo.>';
  }

  #stop(): void {
    this.#generation += 1;
    void this.#client?.close();
    this.#client = undefined;
  }

  async #start(): Promise<void> {
    this.#stop();
    const generation = this.#generation;
    const { list, state, empty, title } = this.#render();
    title.textContent = this.getAttribute('heading') ?? `Live · ${this.topic}`;
    const feed = new FeedView(list, { limit: Number.parseInt(this.getAttribute('limit') ?? '', 10) || 10 });
    const show = (text: string, detail = ''): void => {
      state.dataset.state = text;
      state.textContent = text;
      state.title = detail;
    };
    show('connecting');
    try {
      const client = await connect(this.getAttribute('url') ?? routerUrl(import.meta.url), {
        name: this.getAttribute('name') ?? `Widget-${Math.random().toString(16).slice(2, 6)}`,
        info: { kind: 'widget', page: location.pathname },
      });
      if (generation !== this.#generation) {
        void client.close();
        return;
      }
      this.#client = client;
      client.on('statechange', (change) => show(change.to, change.reason));
      client.on('error', (error) => show(client.state, `${error.code}: ${error.message}`));
      await client.subscribe(this.topic, (data, meta) => {
        feed.add(data, meta);
        empty.hidden = true;
      });
      show(client.state);
    } catch (error) {
      if (generation === this.#generation) show('closed', error instanceof Error ? error.message : String(error));
    }
  }

  #render(): { list: HTMLElement; state: HTMLElement; empty: HTMLElement; title: HTMLElement } {
    const style = document.createElement('style');
    style.textContent = `${widgetCss}\n${valueCss}\n${feedCss}`;
    const frame = document.createElement('section');
    frame.className = 'hf';
    frame.setAttribute('part', 'frame');
    frame.innerHTML = `
      <header class="hf-head">
        <span class="hf-title"></span>
        <span class="hf-state" data-state="connecting" role="status">connecting</span>
      </header>
      <p class="hf-empty">Waiting for messages…</p>
      <ol class="hf-list feed-list"></ol>
      <footer class="hf-foot">Herald · live over WebSocket</footer>`;
    this.#shadow.replaceChildren(style, frame);
    const pick = (selector: string): HTMLElement => frame.querySelector<HTMLElement>(selector)!;
    return { list: pick('.hf-list'), state: pick('.hf-state'), empty: pick('.hf-empty'), title: pick('.hf-title') };
  }
}
