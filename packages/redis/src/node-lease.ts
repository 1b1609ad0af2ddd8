/**
 * The node's lease in Redis, and the reaper. Every `intervalMs` the node renews its lease
 * (`nodes` zset: node → deadline, in Redis time) and runs the reap script, which makes every node
 * whose lease passed leave everywhere: each of its presence members leaves once, with reason
 * `node_lost`. So the members of a SIGKILLed node leave within `leaseMs + intervalMs` (plus one
 * script run), whichever live node gets there first; the script is atomic, so exactly once.
 *
 * The heartbeat also publishes a tick to the node's own inbox: when ticks stop coming back over
 * `sub` while `cmd` works, the Pub/Sub connection is wedged (centrifugo#1189), and it is reconnected
 * and repaired.
 */
import type { RedisEngine } from './redis-engine.js';

/** Heartbeats without our own tick back after which `sub` is considered wedged. */
const WEDGED_AFTER = 3;

export class NodeLease {
  #timer: ReturnType<typeof setInterval> | undefined;
  #registered = false;
  #unanswered = 0;
  #beating = false;
  /**
   * The nodes alive at the last reap (this one included): after Redis lost its data, the nodes
   * whose rejoin presence reads wait for (rejoin-wait.ts).
   */
  peers: readonly string[] = [];

  constructor(
    readonly engine: RedisEngine,
    readonly intervalMs: number,
    readonly leaseMs: number,
  ) {}

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.#tick(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    // The lease needs only the command connection: a node whose Pub/Sub connection is away is
    // alive (its members stay), and repairs when it is back.
    if (!this.engine.commandsAvailable || this.#beating) return;
    this.#beating = true;
    try {
      if (this.engine.available && this.#unanswered >= WEDGED_AFTER) {
        this.engine.logger.log('warn', 'redis engine: our own heartbeats stopped coming back; reconnecting Pub/Sub', { node: this.engine.nodeId });
        this.#unanswered = 0;
        this.engine.reconnectSub();
        return;
      }
      await this.beat();
      await this.reap();
    } catch (error) {
      this.engine.logger.log('debug', 'redis engine: heartbeat failed', { error: String(error) });
    } finally {
      this.#beating = false;
    }
  }

  /**
   * Renews the lease; when the node was reaped meanwhile (or Redis lost the lease: a restart without
   * persistence), registers again and rejoins its members. Resolves true when it rejoined them.
   */
  async beat(): Promise<boolean> {
    const { keys } = this.engine;
    const now = Number(
      await this.engine.run('HEARTBEAT', [keys.nodes], [keys.node, this.leaseMs, this.#registered ? 1 : 0, keys.inbox]),
    );
    if (this.engine.available) this.#unanswered++;
    if (now === -1) {
      this.engine.logger.log('warn', 'redis engine: this node was declared dead (lease lapsed); joining its members again', { node: keys.node });
      this.#registered = false;
      await this.beat();
      await this.engine.presence.reregister();
      await this.engine.rpc.reannounce(); // the reaper dropped our providers too
      return true;
    }
    this.#registered = true;
    return false;
  }

  /** Our own tick came back over `sub`. */
  onTick(): void {
    this.#unanswered = 0;
  }

  async reap(): Promise<void> {
    const { keys } = this.engine;
    const [dead, live] = (await this.engine.run('REAP', [keys.nodes], [keys.prefix, keys.presenceChannel, keys.events])) as [string[], string[]];
    this.peers = live;
    if (dead.length > 0) this.engine.logger.log('info', 'redis engine: reaped dead nodes', { nodes: dead.join(',') });
  }

  /** Leaves the cluster on a clean shutdown (the router already made its clients leave). */
  async resign(): Promise<void> {
    const { keys } = this.engine;
    await this.engine.run('RESIGN', [keys.nodes], [keys.prefix, keys.node, keys.events]);
  }
}
