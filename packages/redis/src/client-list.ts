/**
 * This node's part of the cluster-wide client list (`<prefix>node:<id>:clients`, read by
 * `router.clients({ cluster: true })`), written in batches. A router tells the engine of every
 * connect, subscribe, unsubscribe and disconnect; in a reconnect storm that was two `HSET`s per
 * moved client (its connect, then its resubscribe). Every change made in one turn of the event loop
 * now goes out at its end (`setImmediate`) as one `HSET` of every client set (its latest value only)
 * and one `HDEL` of every client gone: the list lags the router by less than one turn.
 */
// node:timers' own, not the global one (as presence-joins.ts): a test's fake timers replace the
// global setImmediate, and the list would then wait for the test to advance its clock.
import { setImmediate } from 'node:timers';
import type { ClusterClient } from '@herald/server';
import type { RedisEngine } from './redis-engine.js';

export class ClientListWriter {
  /** Client id → its latest value (undefined: gone), not yet written. */
  #pending = new Map<string, ClusterClient | undefined>();
  #scheduled = false;
  /** Batches written (Redis round trips), and changes they carried. */
  readonly counters = { batches: 0, changes: 0 };

  /**
   * @param lost called when a batch could not be written (Redis away, or the call failed): the
   *   whole list must be written again once Redis is back.
   */
  constructor(
    readonly engine: RedisEngine,
    readonly lost: () => void,
  ) {}

  /** Records `client` (undefined: its departure); written at the end of this turn. */
  write(id: string, client: ClusterClient | undefined): void {
    this.#pending.set(id, client);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    if (pending.size === 0) return;
    if (!this.engine.commandsAvailable) return this.lost();
    const set: string[] = [];
    const gone: string[] = [];
    for (const [id, client] of pending) {
      if (client === undefined) gone.push(id);
      else set.push(id, JSON.stringify(client));
    }
    const { cmd, keys } = this.engine;
    this.counters.batches++;
    this.counters.changes += pending.size;
    const failed = (error: unknown): void => {
      this.engine.logger.log('debug', 'redis engine: writing the client list failed', { error: String(error) });
      this.lost();
    };
    if (set.length > 0) cmd.hset(keys.nodeClients, ...set).catch(failed);
    if (gone.length > 0) cmd.hdel(keys.nodeClients, ...gone).catch(failed);
  }
}
