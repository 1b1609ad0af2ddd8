/**
 * The cluster panel (`pnpm demo --cluster 3`): each router, up or down, with the clients on it, read
 * from the demo server every second (`GET /herald-cluster`), and a button that kills the busiest
 * router (`POST /herald-cluster/kill`) so its members move to the others.
 */

/** A router as `GET /herald-cluster` lists it. */
export interface ClusterRouter {
  name: string;
  url: string;
  up: boolean;
  members: string[];
}

/** The routers of the demo's cluster, or undefined when the demo runs one router. */
export async function fetchCluster(): Promise<ClusterRouter[] | undefined> {
  const response = await fetch('/herald-cluster', { cache: 'no-store' });
  if (!response.ok) return undefined;
  const { routers } = (await response.json()) as { routers: ClusterRouter[] };
  return routers.length === 0 ? undefined : routers;
}

export interface ClusterPanelElements {
  panel: HTMLElement;
  list: HTMLElement;
  kill: HTMLButtonElement;
  status: HTMLElement;
}

export class ClusterPanel {
  readonly #elements: ClusterPanelElements;
  readonly #self: () => string;

  /** `self()` is this page's name, marked in the lists. */
  constructor(elements: ClusterPanelElements, self: () => string) {
    this.#elements = elements;
    this.#self = self;
    elements.kill.addEventListener('click', () => void this.#kill());
  }

  /** Shows the panel and refreshes it every `everyMs`. */
  start(first: ClusterRouter[], everyMs = 1000): void {
    this.#elements.panel.hidden = false;
    this.render(first);
    setInterval(() => {
      fetchCluster().then(
        (routers) => routers !== undefined && this.render(routers),
        () => undefined,
      );
    }, everyMs);
  }

  render(routers: readonly ClusterRouter[]): void {
    const items = routers.map((router) => {
      const item = document.createElement('li');
      item.className = `cluster-router${router.up ? '' : ' down'}`;
      item.dataset.router = router.name;
      const head = document.createElement('strong');
      head.textContent = `${router.name} ${router.up ? `· ${router.members.length} connected` : '· down'}`;
      const members = document.createElement('span');
      members.className = 'cluster-members';
      members.textContent = router.members.map((name) => (name === this.#self() ? `${name} (you)` : name)).join(', ');
      item.append(head, ' ', members);
      return item;
    });
    this.#elements.list.replaceChildren(...items);
  }

  async #kill(): Promise<void> {
    this.#elements.kill.disabled = true;
    try {
      const response = await fetch('/herald-cluster/kill', { method: 'POST' });
      const body = (await response.json()) as { killed?: string; error?: string };
      this.#elements.status.textContent = body.killed !== undefined ? `${body.killed} killed: its clients move; back in 5 s` : (body.error ?? 'nothing killed');
    } catch (error) {
      this.#elements.status.textContent = `kill failed: ${String(error)}`;
    } finally {
      this.#elements.kill.disabled = false;
    }
  }
}
