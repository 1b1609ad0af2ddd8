/**
 * The request router's providers: who serves each method (connections, the router's own handler,
 * and the other nodes of a cluster), within the `maxHandlers` and `maxMethods` bounds, the method
 * list (`list_methods`, sorted once per change), the cluster's view of this node's providers, and
 * the choice of a provider for a request: the one with the fewest requests in flight; ties go
 * round robin.
 */
import { ErrorCode, HeraldError, type MethodWire, type PeerRef, methodProblem } from '@herald/protocol';
import type { Connection } from './connection.js';
import type { Logger } from './logger.js';
import type { RequestCluster, RequestHandler, RequestWork } from './requests.js';

/** Providers of a method a router names to the other routers of its cluster (`Engine.provide`), at most. */
const ANNOUNCED_PEERS = 32;

/** Another node of the cluster, as a provider: `weight` is its provider count for the method. */
export type NodeProvider = { kind: 'node'; node: string; inFlight: number; weight: number };

export type Provider =
  | { kind: 'connection'; connection: Connection; inFlight: number }
  | { kind: 'local'; handler: RequestHandler; inFlight: number }
  | NodeProvider;

/** The providers of every method, by method and by connection. */
export class RequestProviders {
  readonly #providers = new Map<string, Provider[]>();
  readonly #cursor = new Map<string, number>();
  /** The methods each connection provides: a disconnect reads its own, not every method (issue #12). */
  readonly #byProvider = new Map<Connection, Set<string>>();
  /** `methods()`, sorted once per change rather than once per `list_methods`. */
  #listed: MethodWire[] | undefined;
  /** The engine's `remoteMethods().version` that `#listed` was built from. */
  #listedRemote: number | undefined;
  /** The other nodes as providers (their in-flight counts). */
  readonly #nodes = new Map<string, NodeProvider>();
  /** Set (through `Requests.cluster`) when the engine routes requests across routers. */
  cluster: RequestCluster | undefined;
  readonly #routerPeer: PeerRef;
  readonly #maxMethods: number;
  readonly #logger: Logger;
  readonly #work: RequestWork;

  /** `work`: the request layer's counters, shared with `Requests`. */
  constructor(routerPeer: PeerRef, maxMethods: number, logger: Logger, work: RequestWork) {
    this.#routerPeer = routerPeer;
    this.#maxMethods = maxMethods;
    this.#logger = logger;
    this.#work = work;
  }

  /**
   * Registers a connection as provider. Returns the refusal (`METHOD_INVALID`, or `HANDLER_LIMIT`
   * past the connection's `maxHandlers` or the router's `maxMethods`), or undefined when done.
   */
  provide(connection: Connection, method: string): { code: string; message: string } | undefined {
    const problem = methodProblem(method);
    if (problem !== undefined) return { code: ErrorCode.METHOD_INVALID, message: problem };
    let mine = this.#byProvider.get(connection);
    if (mine?.has(method)) return undefined;
    const maxHandlers = connection.quota?.limits.maxHandlers ?? Number.POSITIVE_INFINITY;
    if ((mine?.size ?? 0) >= maxHandlers) return { code: ErrorCode.HANDLER_LIMIT, message: `at most ${maxHandlers} handlers per connection` };
    if (!this.#providers.has(method) && this.#providers.size >= this.#maxMethods) {
      return { code: ErrorCode.HANDLER_LIMIT, message: `the router serves at most ${this.#maxMethods} methods` };
    }
    if (mine === undefined) this.#byProvider.set(connection, (mine = new Set()));
    mine.add(method);
    const providers = this.#providersOf(method);
    providers.push({ kind: 'connection', connection, inFlight: 0 });
    this.#logger.log('info', 'provider registered', { method, id: connection.id, name: connection.name, providers: providers.length });
    this.#announce(method);
    return undefined;
  }

  unprovide(connection: Connection, method: string): void {
    const mine = this.#byProvider.get(connection);
    if (mine?.delete(method) !== true) return;
    if (mine.size === 0) this.#byProvider.delete(connection);
    this.#remove(method, (p) => p.kind === 'connection' && p.connection === connection);
  }

  /** The methods a connection provides. */
  providedBy(connection: Connection): string[] {
    return [...(this.#byProvider.get(connection) ?? [])];
  }

  /** Registers an in-process handler; returns the function that removes it. */
  provideLocal(method: string, handler: RequestHandler): () => void {
    const providers = this.#providersOf(method);
    if (providers.some((p) => p.kind === 'local')) {
      throw new HeraldError(ErrorCode.HANDLER_EXISTS, `the router already handles "${method}"`);
    }
    const provider: Provider = { kind: 'local', handler, inFlight: 0 };
    providers.push(provider);
    this.#announce(method);
    return () => this.#remove(method, (p) => p === provider);
  }

  /**
   * The methods provided and by whom, sorted by method (built once per change): this router's
   * providers first, then those the engine lists for the other nodes of a cluster.
   */
  methods(): MethodWire[] {
    const remote = this.cluster?.engine.remoteMethods?.();
    if (this.#listed === undefined || remote?.version !== this.#listedRemote) {
      this.#listedRemote = remote?.version;
      this.#listed = this.#list(remote?.methods);
    }
    return this.#listed;
  }

  #list(remote: ReadonlyMap<string, readonly PeerRef[]> | undefined): MethodWire[] {
    this.#work.methodListsBuilt++;
    const all = new Map<string, PeerRef[]>();
    for (const [method, providers] of this.#providers) all.set(method, providers.map((p) => this.#peerOf(p)));
    for (const [method, peers] of remote ?? []) {
      const listed = all.get(method);
      if (listed === undefined) all.set(method, [...peers]);
      else listed.push(...peers);
    }
    return [...all.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([method, providers]) => ({ method, providers }));
  }

  #peerOf(provider: Provider): PeerRef {
    return provider.kind === 'connection' ? provider.connection.peer() : { ...this.#routerPeer };
  }

  #providersOf(method: string): Provider[] {
    this.#listed = undefined;
    let providers = this.#providers.get(method);
    if (providers === undefined) this.#providers.set(method, (providers = []));
    return providers;
  }

  #remove(method: string, match: (p: Provider) => boolean): void {
    const providers = this.#providers.get(method);
    const index = providers?.findIndex(match) ?? -1;
    if (index === -1) return;
    this.#listed = undefined;
    const [removed] = providers!.splice(index, 1);
    if (removed?.kind === 'connection') {
      this.#logger.log('info', 'provider unregistered', { method, id: removed.connection.id, providers: providers!.length });
    }
    if (providers!.length === 0) {
      this.#providers.delete(method);
      this.#cursor.delete(method);
    }
    this.#announce(method);
  }

  /**
   * Tells the cluster how many providers of `method` this node has now, and who the first
   * {@link ANNOUNCED_PEERS} are: naming all of them on every change would make N clients handling
   * a method again (a reconnect storm) cost N²/2 references.
   */
  #announce(method: string): void {
    const engine = this.cluster?.engine;
    if (engine?.provide === undefined) return;
    const providers = this.#providers.get(method) ?? [];
    engine.provide(method, providers.length, providers.slice(0, ANNOUNCED_PEERS).map((p) => this.#peerOf(p)));
  }

  /**
   * The provider with the fewest requests in flight, starting after the last one picked: this
   * router's providers and (unless `localOnly`) the other nodes that provide the method, a node's
   * load being its requests in flight from here divided by its provider count.
   */
  pick(method: string, localOnly = false, exclude?: ReadonlySet<string>): Provider | undefined {
    let providers: Provider[] = this.#providers.get(method) ?? [];
    const remote = localOnly ? undefined : this.cluster?.engine.remoteProviders?.(method);
    if (remote !== undefined && remote.size > 0) {
      providers = [...providers];
      for (const [node, count] of remote) {
        if (count <= 0 || exclude?.has(node)) continue;
        let provider = this.#nodes.get(node);
        if (provider === undefined) this.#nodes.set(node, (provider = { kind: 'node', node, inFlight: 0, weight: count }));
        provider.weight = count;
        providers.push(provider);
      }
    }
    if (providers.length === 0) return undefined;
    const load = (p: Provider): number => (p.kind === 'node' ? p.inFlight / p.weight : p.inFlight);
    const start = (this.#cursor.get(method) ?? 0) % providers.length;
    let best = start;
    for (let step = 1; step < providers.length; step++) {
      const i = (start + step) % providers.length;
      if (load(providers[i]!) < load(providers[best]!)) best = i;
    }
    this.#cursor.set(method, best + 1);
    return providers[best];
  }

  /** A connection closed: it provides nothing any more (its own methods only are visited). */
  closed(connection: Connection): void {
    for (const method of [...(this.#byProvider.get(connection) ?? [])]) {
      this.#work.disconnectVisits++;
      this.unprovide(connection, method);
    }
  }

  /** Node `node` is gone: forgets its in-flight count. */
  nodeLost(node: string): void {
    this.#nodes.delete(node);
  }
}
