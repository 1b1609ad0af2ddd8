/**
 * Waiting for the cluster to write its members back after Redis lost them. When a node finds a
 * new master (its `run_id` differs from the last one seen: a restart, perhaps without persistence,
 * or a failover), the other nodes' members may be gone from Redis until each of them reconnects and
 * rejoins them (presence-store.ts, `reregister`). A members read before then would tell this
 * node's watches that those members left (`dropped`), and then that they joined again.
 *
 * So the node waits, once (not per topic or per read): presence reads (`members`, and the
 * cluster's client list) wait until every node that was alive before (the lease's `peers`, from
 * its last reap) has announced that it wrote its members back to this master, or until `boundMs`
 * (the lease) passed since the node found the new master, whichever comes first. A node that has
 * not rejoined by then is taken as gone: its members, lost with Redis, are told to have left
 * (`dropped`) by the repair that follows. Each node announces its rejoin in a set kept by the new
 * master (`rejoined:<run_id>`, read once the node is subscribed, for the rejoins that came before)
 * and on the events channel (`rejoined LF node LF run_id`, for those that come after).
 */
import type { RedisEngine } from './redis-engine.js';

const REJOINED = 'rejoined\n';
const NODE_DEAD = 'node_dead\n';
/** How long the rejoin set of a master stays (only the first `boundMs` after a restart matter). */
const REJOINED_TTL_MS = 10 * 60_000;

interface Waiting {
  runId: string;
  /** The nodes not rejoined yet. */
  pending: Set<string>;
  done: Promise<void>;
  finish: () => void;
  timer: ReturnType<typeof setTimeout>;
}

export class RejoinWait {
  #waiting: Waiting | undefined;

  constructor(
    readonly engine: RedisEngine,
    readonly boundMs: number,
  ) {}

  /** Whether presence reads wait now (for the tests and the logs). */
  get waiting(): boolean {
    return this.#waiting !== undefined;
  }

  /**
   * This node found master `runId` (not the one it saw before): reads wait until the `expected`
   * nodes (other than this one) announce they rejoined to it, at most `boundMs` from now. Begun
   * again for the same master (a setup that failed and is retried), the wait goes on as it was.
   */
  begin(runId: string, expected: Iterable<string>): void {
    if (this.#waiting?.runId === runId) return;
    this.#end();
    const pending = new Set(expected);
    pending.delete(this.engine.nodeId);
    if (pending.size === 0) return;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const timer = setTimeout(() => {
      if (this.#waiting?.timer !== timer) return;
      this.engine.logger.log('warn', 'redis engine: nodes did not write their members back within the lease; reading presence without them', {
        nodes: [...pending].join(','),
      });
      this.#end();
    }, this.boundMs);
    timer.unref?.();
    this.#waiting = { runId, pending, done, finish, timer };
  }

  /** Resolves when presence reads may go to Redis (at once when no wait runs). */
  async settled(): Promise<void> {
    while (this.#waiting !== undefined) await this.#waiting.done;
  }

  /** Both connections are up (the events channel is subscribed): the rejoins that came before count. */
  check(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    this.engine.cmd.smembers(this.#key(waiting.runId)).then(
      (nodes) => {
        for (const node of nodes) this.#rejoined(node, waiting.runId);
      },
      // The bound ends the wait anyway; the events channel may still bring the rest.
      (error: unknown) => this.engine.logger.log('debug', 'redis engine: reading the rejoined nodes failed', { error: String(error) }),
    );
  }

  /** This node wrote its members back to master `runId`: the others waiting learn it. */
  async announce(runId: string): Promise<void> {
    const { cmd, keys, nodeId } = this.engine;
    const key = this.#key(runId);
    const replies = await cmd.multi().sadd(key, nodeId).pexpire(key, REJOINED_TTL_MS).publish(keys.events, `${REJOINED}${nodeId}\n${runId}`).exec();
    const failed = replies?.find(([error]) => error !== null)?.[0];
    if (failed) throw this.engine.failure(failed);
  }

  /** A cluster event: a rejoin, or a node gone (`node_dead`: it will not rejoin). Returns whether it was one of ours. */
  onEvent(event: string): boolean {
    if (event.startsWith(REJOINED)) {
      const lf = event.indexOf('\n', REJOINED.length);
      if (lf !== -1) this.#rejoined(event.slice(REJOINED.length, lf), event.slice(lf + 1));
      return true;
    }
    if (event.startsWith(NODE_DEAD)) {
      const node = event.slice(NODE_DEAD.length);
      this.engine.lease.peers = this.engine.lease.peers.filter((peer) => peer !== node); // a resign: not waited for later
      const waiting = this.#waiting;
      if (waiting !== undefined) this.#rejoined(node, waiting.runId);
    }
    return false;
  }

  /** The engine closes: nothing waits any more. */
  stop(): void {
    this.#end();
  }

  #rejoined(node: string, runId: string): void {
    const waiting = this.#waiting;
    if (waiting === undefined || waiting.runId !== runId) return;
    waiting.pending.delete(node);
    if (waiting.pending.size === 0) this.#end();
  }

  #end(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    this.#waiting = undefined;
    clearTimeout(waiting.timer);
    waiting.finish();
  }

  #key(runId: string): string {
    return `${this.engine.keys.prefix}rejoined:${runId}`;
  }
}
