/**
 * Requests across routers without Redis: engines on one in-process bus implement the Engine's
 * routing seam (`node`, `provide`, `remoteProviders`, `route`; the listener's `onRouted` and
 * `onNodeLost`), so that several routers in one test process serve each other's requests. Each
 * engine wraps its own MemoryEngine: publications and presence stay per router.
 *
 *   const bus = new ClusterBus();
 *   const a = await startRouter({ engine: bus.engine('a') });
 */
import { type EngineListener, MemoryEngine, type RoutedMessage } from '@herald/server';
import { EngineWrapper } from './engine-wrapper.js';

export class ClusterBus {
  readonly #nodes = new Map<string, BusEngine>();

  /** A new node's engine. */
  engine(node: string): BusEngine {
    const engine = new BusEngine(node, this);
    this.#nodes.set(node, engine);
    return engine;
  }

  /** The node dies: it gets nothing more, and every other node hears `onNodeLost`. */
  kill(node: string): void {
    if (!this.#nodes.delete(node)) return;
    for (const other of this.#nodes.values()) other.listener?.onNodeLost?.(node);
  }

  /** @internal */
  providers(method: string, except: string): Map<string, number> {
    const found = new Map<string, number>();
    for (const [node, engine] of this.#nodes) {
      const count = engine.provided.get(method) ?? 0;
      if (node !== except && count > 0) found.set(node, count);
    }
    return found;
  }

  /** @internal Every node but `from` hears `onDisconnectUser`, on a later macrotask. */
  disconnectUser(from: string, user: string, reason: string): void {
    for (const [node, engine] of this.#nodes) {
      if (node !== from) setImmediate(() => engine.listener?.onDisconnectUser?.(user, reason));
    }
  }

  /** @internal Delivers on a later macrotask, as a network would. */
  async deliver(from: string, to: string, message: RoutedMessage): Promise<boolean> {
    const target = this.#nodes.get(to);
    if (target === undefined || this.#nodes.get(from) === undefined) return false;
    setImmediate(() => {
      if (this.#nodes.get(to) === target) target.listener?.onRouted?.(from, structuredClone(message));
    });
    return true;
  }
}

/** A MemoryEngine on a {@link ClusterBus}. */
export class BusEngine extends EngineWrapper {
  readonly provided = new Map<string, number>();
  listener: EngineListener | undefined;

  constructor(
    readonly node: string,
    readonly bus: ClusterBus,
  ) {
    super(new MemoryEngine());
  }

  override start(listener: EngineListener): Promise<void> {
    this.listener = listener;
    return super.start(listener);
  }

  provide(method: string, providers: number): void {
    this.provided.set(method, providers);
  }

  remoteProviders(method: string): ReadonlyMap<string, number> {
    return this.bus.providers(method, this.node);
  }

  route(node: string, message: RoutedMessage): Promise<boolean> {
    return this.bus.deliver(this.node, node, message);
  }

  override async disconnectUser(user: string, reason: string): Promise<void> {
    this.bus.disconnectUser(this.node, user, reason);
  }

  override async close(): Promise<void> {
    this.bus.kill(this.node);
    await super.close();
  }
}
