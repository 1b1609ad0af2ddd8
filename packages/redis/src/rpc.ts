/**
 * Requests across routers over Redis (the Engine's routing seam; issue 13). Each node announces how
 * many providers of a method it has, and who the first {@link MAX_LISTED_PEERS} of them are, in the
 * hash `P rpc:<method>` (node → `count LF peers-json`; the set `P rpc:methods` names the methods, and
 * `P node:<n>:rpc` those of node n) and on the events channel (`rpc LF method LF node LF count LF peers-json`); every node mirrors the
 * registry in memory (loaded when its Pub/Sub connection is ready, kept by the events), so picking
 * a node costs no round trip and `list_methods` reads memory. A node re-announces its own methods
 * whenever its command connection is back (a Redis restart loses the registry). A routed message is
 * one PUBLISH to the target node's inbox (`P n:<node>`, `rpc LF from LF json`); PUBLISH reaching
 * nobody (the node is gone) resolves false. When the reaper declares a node dead (`node_dead`,
 * within the lease plus one heartbeat: 4 s by default) every node drops it from the mirror and
 * tells its router, whose requests to that node fail HANDLER_GONE.
 *
 * Announcements are coalesced: the changes of a method within {@link ANNOUNCE_DELAY_MS} (and while
 * the previous flush is in flight) make one announcement of its latest count, so a reconnect storm
 * of N clients re-handling a method costs a few announcements, not N. One connection carries them
 * in order, so a node's later announcements never overtake earlier ones.
 *
 * The registry in Redis holds only what live nodes provide (issue 12: every resource has a bound):
 * a node's entry goes when its count drops to 0, a method leaves `rpc:methods` with the last
 * node's entry (both in the ANNOUNCE script), and the reaper (or a clean shutdown) drops every
 * entry of a dead node in the script that declares it dead. So `rpc:methods` holds at most the
 * live nodes' `maxMethods` each, and a dead node's methods leave it within the lease bound.
 */
import type { PeerRef } from '@herald/protocol';
import type { RemoteMethods, RoutedMessage } from '@herald/server';
import type { RedisEngine } from './redis-engine.js';

const RPC = 'rpc\n';

/**
 * Providers of one method one node names to the others (the count is always exact): a method that
 * thousands of clients provide must not make each of their (re)connects send thousands of names.
 */
export const MAX_LISTED_PEERS = 32;

/**
 * How long a change of a method's providers waits to be announced, so that a burst (thousands of
 * clients handling a method again after their router died) costs one announcement per method, not
 * one per client. A flush starts only after the previous one is done, so under load the batches grow
 * instead of the announcements.
 */
export const ANNOUNCE_DELAY_MS = 5;

export class Rpc {
  /** method → node → providers, other nodes only. */
  readonly #mirror = new Map<string, Map<string, number>>();
  /** method → node → who (up to MAX_LISTED_PEERS), other nodes only. */
  readonly #peers = new Map<string, Map<string, PeerRef[]>>();
  /** This node's own announcements, re-sent when Redis is back. */
  readonly #own = new Map<string, string>();
  /** Announcements not sent yet: method → its latest `count LF peers-json`. */
  readonly #pending = new Map<string, string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing = false;
  #stopped = false;
  #version = 0;
  #listed: RemoteMethods | undefined;
  /**
   * While {@link load} reads the registry: the events that arrived meanwhile, applied again after
   * the snapshot (which may be older than they are), in their order.
   */
  #replay: Array<() => void> | undefined;

  constructor(readonly engine: RedisEngine) {}

  #methodKey(method: string): string {
    return `${this.engine.keys.prefix}rpc:${method}`;
  }

  get #methodsKey(): string {
    return `${this.engine.keys.prefix}rpc:methods`;
  }

  provide(method: string, providers: number, peers: readonly PeerRef[] = []): void {
    const value = `${providers}\n${JSON.stringify(peers.slice(0, MAX_LISTED_PEERS).map(peerRef))}`;
    if (providers > 0) this.#own.set(method, value);
    else this.#own.delete(method);
    this.#pending.set(method, value);
    this.#schedule();
  }

  /** Flushes the pending announcements soon: after {@link ANNOUNCE_DELAY_MS}, and never two flushes at once. */
  #schedule(): void {
    if (this.#timer !== undefined || this.#flushing || this.#stopped) return;
    this.#timer = setTimeout(() => void this.#flush(), ANNOUNCE_DELAY_MS);
    this.#timer.unref?.();
  }

  /** Sends one announcement per method changed since the last flush: its latest count. */
  async #flush(): Promise<void> {
    this.#timer = undefined;
    const batch = [...this.#pending];
    this.#pending.clear();
    this.#flushing = true;
    try {
      await Promise.all(
        batch.map(([method, value]) =>
          this.#announce(method, Number(value.slice(0, value.indexOf('\n'))), value).catch((error: unknown) =>
            this.engine.logger.log('warn', 'redis engine: announcing providers failed', { method, error: String(error) }),
          ),
        ),
      );
    } finally {
      this.#flushing = false;
      if (this.#pending.size > 0) this.#schedule();
    }
  }

  /** Drops what was not announced yet (the engine closes: RESIGN drops this node's entries). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }

  /**
   * Announces every method this node provides again, and withdraws what Redis still lists for it
   * but it no longer provides (its command connection is back).
   */
  async reannounce(): Promise<void> {
    // What Redis lists for this node but it no longer provides (a removal that failed while Redis
    // was away) goes too: the registry holds only what live nodes provide.
    const { keys, nodeId } = this.engine;
    const listed = await this.engine.cmd.smembers(`${keys.prefix}node:${nodeId}:rpc`);
    await Promise.all([
      ...listed.filter((method) => !this.#own.has(method)).map((method) => this.#announce(method, 0, '0\n[]')),
      ...[...this.#own].map(([method, value]) => this.#announce(method, Number(value.slice(0, value.indexOf('\n'))), value)),
    ]);
  }

  async #announce(method: string, providers: number, value: string): Promise<void> {
    const { keys, nodeId } = this.engine;
    this.engine.counters.announcements++;
    await this.engine.run('ANNOUNCE', [this.#methodKey(method), this.#methodsKey, `${keys.prefix}node:${nodeId}:rpc`], [nodeId, method, providers, value, keys.events]);
  }

  /** What the other nodes provide, for `list_methods` (rebuilt only after a change). */
  remoteMethods(): RemoteMethods {
    if (this.#listed?.version === this.#version) return this.#listed;
    const methods = new Map<string, PeerRef[]>();
    for (const [method, nodes] of this.#peers) methods.set(method, [...nodes.values()].flat());
    return (this.#listed = { version: this.#version, methods });
  }

  remoteProviders(method: string): ReadonlyMap<string, number> {
    return this.#mirror.get(method) ?? EMPTY;
  }

  async route(node: string, message: RoutedMessage): Promise<boolean> {
    const reached = await this.engine.cmd.publish(`${this.engine.keys.prefix}n:${node}`, `${RPC}${this.engine.nodeId}\n${JSON.stringify(message)}`);
    return reached > 0;
  }

  /** Loads the registry (after the Pub/Sub connection is ready: later changes arrive as events). */
  async load(): Promise<void> {
    const { cmd, nodeId } = this.engine;
    const replay: Array<() => void> = (this.#replay = []);
    try {
      const snapshot: Array<[string, Record<string, string>]> = [];
      for (const method of await cmd.smembers(this.#methodsKey)) snapshot.push([method, await cmd.hgetall(this.#methodKey(method))]);
      this.#mirror.clear();
      this.#peers.clear();
      this.#version++;
      for (const [method, nodes] of snapshot) {
        for (const [node, value] of Object.entries(nodes)) if (node !== nodeId) this.#set(method, node, value);
      }
      // An announcement or a node's death that arrived while the snapshot was read is at least as
      // new as the snapshot: without this, a provider announced meanwhile was lost until its next change.
      for (const apply of replay) apply();
    } finally {
      if (this.#replay === replay) this.#replay = undefined;
    }
  }

  /** A message on this node's inbox; false when it is not ours (a heartbeat tick). */
  onInbox(message: Buffer): boolean {
    if (message.length < RPC.length || message.toString('latin1', 0, RPC.length) !== RPC) return false;
    const text = message.toString();
    const lf = text.indexOf('\n', RPC.length);
    try {
      this.engine.listener?.onRouted?.(text.slice(RPC.length, lf), JSON.parse(text.slice(lf + 1)) as RoutedMessage);
    } catch (error) {
      this.engine.logger.log('warn', 'redis engine: dropped a routed message', { error: String(error) });
    }
    return true;
  }

  /** An event on the events channel: a provider count, or a node reaped. */
  onEvent(event: string): void {
    if (event.startsWith(RPC)) {
      const lf1 = event.indexOf('\n', RPC.length);
      const lf2 = event.indexOf('\n', lf1 + 1);
      if (lf1 === -1 || lf2 === -1) return;
      const node = event.slice(lf1 + 1, lf2);
      if (node === this.engine.nodeId) return;
      const method = event.slice(RPC.length, lf1);
      const value = event.slice(lf2 + 1);
      this.#set(method, node, value);
      this.#replay?.push(() => this.#set(method, node, value));
      return;
    }
    if (event.startsWith('node_dead\n')) this.nodeLost(event.slice('node_dead\n'.length));
  }

  nodeLost(node: string): void {
    this.#forget(node);
    this.#replay?.push(() => this.#forget(node));
    this.engine.listener?.onNodeLost?.(node);
  }

  /** Drops a dead node from the mirror (its entries in Redis went in the same script as the event). */
  #forget(node: string): void {
    for (const [method, nodes] of this.#mirror) {
      if (!nodes.delete(node)) continue;
      if (nodes.size === 0) this.#mirror.delete(method);
      this.#dropPeers(method, node);
    }
  }

  /** Records a node's announcement (`count LF peers-json`; a bare count from an older node). */
  #set(method: string, node: string, value: string): void {
    const lf = value.indexOf('\n');
    const count = Number(lf === -1 ? value : value.slice(0, lf));
    let nodes = this.#mirror.get(method);
    if (!(count > 0)) {
      nodes?.delete(node);
      if (nodes?.size === 0) this.#mirror.delete(method);
      this.#dropPeers(method, node);
      return;
    }
    if (nodes === undefined) this.#mirror.set(method, (nodes = new Map()));
    nodes.set(node, count);
    let peers = this.#peers.get(method);
    if (peers === undefined) this.#peers.set(method, (peers = new Map()));
    peers.set(node, lf === -1 ? [] : parsePeers(value.slice(lf + 1)));
    this.#version++;
  }

  #dropPeers(method: string, node: string): void {
    const peers = this.#peers.get(method);
    if (peers?.delete(node) !== true) return;
    if (peers.size === 0) this.#peers.delete(method);
    this.#version++;
  }
}

/** The peers of an announcement, or none when it is not what a node writes. */
function parsePeers(json: string): PeerRef[] {
  try {
    const peers: unknown = JSON.parse(json);
    if (!Array.isArray(peers)) return [];
    return peers
      .slice(0, MAX_LISTED_PEERS)
      .filter((p): p is PeerRef => typeof p === 'object' && p !== null && typeof (p as PeerRef).id === 'string' && typeof (p as PeerRef).name === 'string')
      .map(peerRef);
  } catch {
    return [];
  }
}

function peerRef({ id, name, user }: PeerRef): PeerRef {
  return typeof user === 'string' ? { id, name, user } : { id, name };
}

const EMPTY: ReadonlyMap<string, number> = new Map();
