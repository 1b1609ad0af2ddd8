/**
 * Presence and the cluster-wide client list in Redis. Joins and leaves are scripts that change
 * the member hash and publish the event in one step, so every node sees the events of a topic in
 * the order they happened, and a leave happens at most once (only if the member is still there).
 *
 * The node also keeps its own members and clients in memory: when Redis may have lost them (the
 * node was declared dead, or Redis restarted or failed over) it joins them again, and leaves that
 * could not reach Redis are sent once it is back.
 */
import type { ClusterClient, PresenceMember } from '@herald/server';
import { ClientListWriter } from './client-list.js';
import { JoinBatcher } from './presence-joins.js';
import type { RedisEngine } from './redis-engine.js';

interface PendingLeave {
  topic: string;
  id: string;
  reason: string;
}

export class PresenceStore {
  /** This node's members, per topic: what Redis should hold for us. */
  readonly #local = new Map<string, Map<string, PresenceMember>>();
  readonly #clients = new Map<string, ClusterClient>();
  #pendingLeaves: PendingLeave[] = [];
  #runId: string | undefined;
  /** Clients changed while Redis was away: the whole list is written again when it is back. */
  #clientsDirty = false;

  /** Writes the client list in batches, one per turn of the event loop (client-list.ts). */
  readonly clientList: ClientListWriter;
  /** Sends the joins of one turn of the event loop in one call (presence-joins.ts). */
  readonly joins: JoinBatcher;

  constructor(readonly engine: RedisEngine) {
    this.clientList = new ClientListWriter(engine, () => (this.#clientsDirty = true));
    this.joins = new JoinBatcher(engine);
  }

  async join(topic: string, member: PresenceMember): Promise<void> {
    this.engine.checkCommands();
    let members = this.#local.get(topic);
    if (members === undefined) this.#local.set(topic, (members = new Map()));
    members.set(member.id, member);
    try {
      await this.joins.join(topic, member);
    } catch (error) {
      // Only if it is still this join's member (not one a later join or a leave put or took).
      if (members.get(member.id) === member) members.delete(member.id);
      if (members.size === 0 && this.#local.get(topic) === members) this.#local.delete(topic);
      throw error;
    }
  }

  async leave(topic: string, id: string, reason: string): Promise<void> {
    this.joins.flush(); // the joins asked for before this leave reach Redis before it
    const members = this.#local.get(topic);
    members?.delete(id);
    if (members?.size === 0) this.#local.delete(topic);
    try {
      await this.#leave({ topic, id, reason });
    } catch (error) {
      // Redis is away: the leave is sent when it is back (the member must not stay forever).
      if (this.engine.available) throw error;
      this.#pendingLeaves.push({ topic, id, reason });
    }
  }

  #leave({ topic, id, reason }: PendingLeave): Promise<unknown> {
    const { keys } = this.engine;
    return this.engine.run('LEAVE', [], [keys.prefix, topic, id, reason, keys.presenceChannel, keys.node]);
  }

  async members(topic: string): Promise<PresenceMember[]> {
    await this.engine.rejoins.settled(); // after Redis lost them, the other nodes' members first
    this.joins.flush(); // a read sees the joins asked for before it
    let values: string[];
    try {
      values = await this.engine.cmd.hvals(this.engine.keys.members(topic));
    } catch (error) {
      throw this.engine.failure(error);
    }
    return values
      .map((value) => {
        const a = value.indexOf('\n');
        const b = value.indexOf('\n', a + 1);
        return { seq: Number(value.slice(0, a)), member: JSON.parse(value.slice(b + 1)) as PresenceMember };
      })
      .sort((x, y) => x.seq - y.seq)
      .map(({ member }) => member);
  }

  /** A presence event from `P p`: `j LF topic LF v LF node LF member` or `l LF topic LF v LF node LF reason LF member`. */
  onEvent(text: string): void {
    const parts = text.split('\n');
    const listener = this.engine.listener;
    if (listener === undefined) return;
    if (parts[0] === 'j' && parts.length >= 5) {
      listener.onPresence({ type: 'join', topic: parts[1]!, member: JSON.parse(parts.slice(4).join('\n')) as PresenceMember });
    } else if (parts[0] === 'l' && parts.length >= 6) {
      listener.onPresence({ type: 'leave', topic: parts[1]!, reason: parts[4]!, member: JSON.parse(parts.slice(5).join('\n')) as PresenceMember });
    }
  }

  /**
   * Called with the master's run_id on every (re)connect: another master (a restart, a failover)
   * may have lost our members and clients, so they are written again (unless the heartbeat just
   * did, `rejoined`: it found the node's lease gone, as after a restart without persistence).
   */
  async reconnected(runId: string, rejoined = false): Promise<void> {
    const changed = this.#runId !== undefined && this.#runId !== runId;
    // The other nodes may have lost theirs too: reads wait for them to write them back (rejoin-wait.ts).
    if (changed) this.engine.rejoins.begin(runId, this.engine.lease.peers);
    if (rejoined) {
      // Written back already (with the leaves that waited for Redis).
    } else if (changed || this.#clientsDirty) await this.reregister();
    else await this.#flushLeaves();
    if (changed) await this.engine.rejoins.announce(runId);
    // Only once written back: a setup that failed on the way writes them again at the next connect.
    this.#runId = runId;
  }

  /** Joins every local member again (joins of members still there change nothing) and restores our clients. */
  async reregister(): Promise<void> {
    await this.#flushLeaves();
    const joins: Promise<boolean>[] = [];
    for (const [topic, members] of this.#local) {
      for (const member of members.values()) joins.push(this.joins.join(topic, member));
    }
    this.joins.flush();
    await Promise.all(joins);
    const { cmd, keys } = this.engine;
    this.#clientsDirty = false;
    await cmd.del(keys.nodeClients);
    if (this.#clients.size > 0) {
      await cmd.hset(keys.nodeClients, Object.fromEntries([...this.#clients].map(([id, c]) => [id, JSON.stringify(c)])));
    }
  }

  async #flushLeaves(): Promise<void> {
    const pending = this.#pendingLeaves;
    this.#pendingLeaves = [];
    for (const leave of pending) await this.#leave(leave);
  }

  trackClient(id: string, client: ClusterClient | undefined): void {
    if (client === undefined) this.#clients.delete(id);
    else this.#clients.set(id, client);
    if (!this.engine.available) {
      this.#clientsDirty = true; // written again by reregister() when Redis is back
      return;
    }
    this.clientList.write(id, client);
  }

  async clients(): Promise<ClusterClient[]> {
    await this.engine.rejoins.settled();
    const { cmd, keys } = this.engine;
    try {
      const nodes = await cmd.zrange(keys.nodes, '0', '-1');
      const lists = await Promise.all(nodes.map((node) => cmd.hvals(keys.nodeClientsOf(node))));
      return lists.flat().map((value) => JSON.parse(value) as ClusterClient);
    } catch (error) {
      throw this.engine.failure(error);
    }
  }
}
