/**
 * Requests across routers over Redis (the Engine's routing seam; issue 13). Each node announces how
 * many providers of a method it has in the hash `P rpc:<method>` (node → count; the set
 * `P rpc:methods` names the methods) and on the events channel (`rpc LF method LF node LF count`);
 * every node mirrors the registry in memory (loaded when its Pub/Sub connection is ready, kept by
 * the events), so picking a node costs no round trip. A routed message is one PUBLISH to the target
 * node's inbox (`P n:<node>`, `rpc LF from LF json`); PUBLISH reaching nobody (the node is gone)
 * resolves false. When the reaper declares a node dead (`node_dead`, within the lease plus one
 * heartbeat: 4 s by default) every node drops it from the mirror and tells its router, whose
 * requests to that node fail HANDLER_GONE.
 */
import type { RoutedMessage } from '@herald/server';
import type { RedisEngine } from './redis-engine.js';

const RPC = 'rpc\n';

export class Rpc {
  /** method → node → providers, other nodes only. */
  readonly #mirror = new Map<string, Map<string, number>>();

  constructor(readonly engine: RedisEngine) {}

  #methodKey(method: string): string {
    return `${this.engine.keys.prefix}rpc:${method}`;
  }

  get #methodsKey(): string {
    return `${this.engine.keys.prefix}rpc:methods`;
  }

  provide(method: string, providers: number): void {
    const { cmd, keys, nodeId } = this.engine;
    const pipeline = cmd.multi();
    if (providers > 0) pipeline.hset(this.#methodKey(method), nodeId, providers).sadd(this.#methodsKey, method);
    else pipeline.hdel(this.#methodKey(method), nodeId);
    pipeline.publish(keys.events, `${RPC}${method}\n${nodeId}\n${providers}`);
    pipeline.exec().catch((error: unknown) => this.engine.logger.log('warn', 'redis engine: announcing providers failed', { method, error: String(error) }));
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
    const methods = await cmd.smembers(this.#methodsKey);
    this.#mirror.clear();
    for (const method of methods) {
      const nodes = await cmd.hgetall(this.#methodKey(method));
      for (const [node, count] of Object.entries(nodes)) if (node !== nodeId) this.#set(method, node, Number(count));
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
      const [, method, node, count] = event.split('\n');
      if (method !== undefined && node !== undefined && node !== this.engine.nodeId) this.#set(method, node, Number(count));
      return;
    }
    if (event.startsWith('node_dead\n')) this.nodeLost(event.slice('node_dead\n'.length));
  }

  nodeLost(node: string): void {
    for (const [method, nodes] of this.#mirror) {
      if (!nodes.delete(node)) continue;
      if (nodes.size === 0) this.#mirror.delete(method);
      this.engine.cmd.hdel(this.#methodKey(method), node).catch(() => {});
    }
    this.engine.listener?.onNodeLost?.(node);
  }

  #set(method: string, node: string, count: number): void {
    let nodes = this.#mirror.get(method);
    if (!(count > 0)) {
      nodes?.delete(node);
      if (nodes?.size === 0) this.#mirror.delete(method);
      return;
    }
    if (nodes === undefined) this.#mirror.set(method, (nodes = new Map()));
    nodes.set(node, count);
  }
}

const EMPTY: ReadonlyMap<string, number> = new Map();
