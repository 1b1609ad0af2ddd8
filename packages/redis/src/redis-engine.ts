/**
 * The Redis engine: several routers (nodes) share subscriptions' traffic, history, offsets and
 * presence through one Redis (standalone or Sentinel). See the package README for the design and
 * PROTOCOL.md ("Cluster guarantees") for what it promises.
 */
import { randomBytes } from 'node:crypto';
import { Emitter, ErrorCode, type PeerRef, hasWildcard, isHeraldError, matchPattern } from '@herald/protocol';
import {
  type ClusterClient,
  DEFAULT_HISTORY,
  type Engine,
  type EngineListener,
  type HistoryPage,
  type HistoryQuery,
  type HistoryRule,
  type Logger,
  type PresenceMember,
  type Publication,
  type RemoteMethods,
  type RoutedMessage,
  type Stamp,
  type StampedPublication,
  SubscriptionIndex,
  createConsoleLogger,
} from '@herald/server';
import type { Redis, RedisOptions } from 'ioredis';
import { connectionOptions, isConnectionError, openRedis, unavailable } from './connections.js';
import { patternGlob } from './glob.js';
import { Keys } from './keys.js';
import { NodeLease } from './node-lease.js';
import { Rpc } from './rpc.js';
import { PresenceStore } from './presence-store.js';
import { HistoryReads, type SharedRead } from './history-reads.js';
import { decodeChannelMessage, decodeRecord, encodeRecord } from './records.js';
import { Repair } from './repair.js';
import { RejoinWait } from './rejoin-wait.js';
import { decodeDisconnectUser, encodeDisconnectUser } from './user-disconnect.js';
import * as scripts from './scripts.js';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_LEASE_MS, DEFAULT_MAX_BACKOFF_MS, DEFAULT_MIN_BACKOFF_MS, checkRedisEngineOptions } from './redis-options.js';

/** Options of {@link redisEngine}. */
export interface RedisEngineOptions {
  /** `redis://[:password@]host:port[/db]`; or give ioredis options in `redis` instead. */
  url?: string;
  /**
   * ioredis options (host, port, password, db, tls, or `sentinels` + `name` for Sentinel). The
   * engine overrides the queueing and retry options (it fails fast, see the README).
   */
  redis?: RedisOptions;
  /** Prefix of every key and channel, so several Herald clusters can share a Redis. Default `herald:`. */
  prefix?: string;
  /** History per topic, like the memory engine's (first matching rule). Default 100 messages for 5 minutes. */
  history?: HistoryRule | readonly HistoryRule[] | false;
  /** How long a publish `pid` is remembered for exactly-once publishing. Default 120,000 ms. */
  dedupeMs?: number;
  /** How often the node renews its lease and looks for dead nodes. Default 1,000 ms. */
  heartbeatIntervalMs?: number;
  /** A node that has not renewed its lease for this long is dead: its members leave (`node_lost`). Default 3,000 ms. */
  leaseMs?: number;
  /**
   * Reconnect delays to Redis: `minBackoffMs` plus a random part up to 50 ms doubling per attempt,
   * at most `maxBackoffMs`. Defaults 10 and 2,000 ms; `minBackoffMs` at most `maxBackoffMs` (a
   * `maxBackoffMs` alone below 10 caps it).
   */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long `start` waits for Redis before it rejects with `ENGINE_UNAVAILABLE`. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** Where the engine logs (reconnects, repairs, reaped nodes). Default: stderr, warnings and up. */
  logger?: Logger;
}

/** Events of the engine. */
export interface RedisEngineEvents {
  /** Redis became reachable (true) or unreachable (false). */
  available: (available: boolean) => void;
}

/** Topics the node tracks the last position of, at most; the oldest are forgotten past it. */
const MAX_TRACKED_TOPICS = 100_000;
/** Topics with no publish for this long leave the topic index (and `topics()`). */
const TOPIC_MEMORY_MS = 60 * 60_000;
const NO_HISTORY: HistoryRule = { limit: 0, ttlMs: 0 };
/**
 * Identical history reads of a topic share one Redis call for this long after it was issued (and
 * only until anything of the topic is handed on: history-reads.ts), at most this many reads and
 * payload bytes held.
 */
const SHARED_READ_MS = 1000;
const SHARED_READS = 1024;
const SHARED_READ_BYTES = 8 * 1024 * 1024;

/**
 * A Herald engine on Redis, for `createRouter({ engine: redisEngine({ url }) })`. Each router needs
 * its own engine object; routers with the same Redis and prefix act as one. A number option
 * outside its range (README) throws a `HeraldError` with code `OPTION_INVALID`.
 *
 * @example
 * import { createRouter } from '@herald/server';
 * import { redisEngine } from '@herald/redis';
 * const router = await createRouter({ port: 8080, engine: redisEngine({ url: 'redis://127.0.0.1:6379' }) });
 */
export function redisEngine(options: RedisEngineOptions = {}): RedisEngine {
  return new RedisEngine(options);
}

export class RedisEngine extends Emitter<RedisEngineEvents> implements Engine {
  /** This node's id in Redis (lease, presence ownership). */
  readonly nodeId = randomBytes(9).toString('base64url');
  readonly keys: Keys;
  readonly #options: RedisEngineOptions;
  readonly #rules: readonly HistoryRule[];
  readonly #logger: Logger;
  readonly #index = new SubscriptionIndex();
  /** Redis channel or glob → how many local (subscriber, pattern) pairs need it. */
  readonly #channels = new Map<string, ChannelEntry>();
  /**
   * What this node did: messages read back from history by repairs, copies of one publish dropped,
   * provider announcements sent (coalesced per method, see rpc.ts).
   */
  readonly counters = { repaired: 0, copiesDropped: 0, announcements: 0 };
  /** Per topic, the last position handed to the router (the node-level dedupe and gap check). */
  readonly seen = new Map<string, Stamp>();
  /** History reads, shared by identical callers while this node's feed of the topic vouches for them. */
  readonly historyReads = new HistoryReads<HistoryRead | undefined>(
    { ttlMs: SHARED_READ_MS, maxEntries: SHARED_READS, maxBytes: SHARED_READ_BYTES },
    (topic, mode, arg) => this.#readHistory(topic, mode, arg),
  );
  #cmd!: Redis;
  #sub!: Redis;
  #listener: EngineListener | undefined;
  #cmdReady = false;
  #subReady = false;
  /**
   * `sub` (re)subscribed: presence events sent while it was away are lost to this node (or `cmd`
   * was lost, and with it perhaps the router's repair). The router is told (`onPresenceGap`) once
   * the node is available, so that it reads the members again.
   */
  #presenceGap = false;
  #retryAfterMs = 100;
  #lastChannelKey = '';
  #forgotUntil = Number.NEGATIVE_INFINITY;
  #janitor: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  readonly lease: NodeLease;
  readonly presence: PresenceStore;
  readonly rpc: Rpc;
  readonly repair: Repair;
  readonly rejoins: RejoinWait;

  constructor(options: RedisEngineOptions = {}) {
    super();
    checkRedisEngineOptions(options);
    this.#options = options;
    const { history = DEFAULT_HISTORY } = options;
    this.#rules = history === false ? [] : Array.isArray(history) ? history : [history as HistoryRule];
    this.#logger = options.logger ?? createConsoleLogger({ level: 'warn', name: 'herald-redis' });
    this.keys = new Keys(options.prefix ?? 'herald:', this.nodeId);
    this.presence = new PresenceStore(this);
    this.lease = new NodeLease(this, options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS, options.leaseMs ?? DEFAULT_LEASE_MS);
    this.rejoins = new RejoinWait(this, this.lease.leaseMs);
    this.repair = new Repair(this);
    this.rpc = new Rpc(this);
  }

  // ---- requests across routers (rpc.ts) ----

  get node(): string {
    return this.nodeId;
  }

  provide(method: string, providers: number, peers?: readonly PeerRef[]): void {
    this.rpc.provide(method, providers, peers);
  }

  remoteMethods(): RemoteMethods {
    return this.rpc.remoteMethods();
  }

  remoteProviders(method: string): ReadonlyMap<string, number> {
    return this.rpc.remoteProviders(method);
  }

  route(node: string, message: RoutedMessage): Promise<boolean> {
    return this.rpc.route(node, message);
  }

  /** How long a publication's `pid` is remembered (routers tell clients in `welcome.dedupeMs`). */
  get dedupeMs(): number {
    return this.#options.dedupeMs ?? 120_000;
  }

  /** Whether Redis is reachable: publishes and subscribes reject `ENGINE_UNAVAILABLE` while it is not. */
  get available(): boolean {
    return this.#cmdReady && this.#subReady && !this.#closed;
  }

  /** Whether the command connection is up (publishes and presence work; subscribing may not). */
  get commandsAvailable(): boolean {
    return this.#cmdReady && !this.#closed;
  }

  get cmd(): Redis {
    return this.#cmd;
  }

  get logger(): Logger {
    return this.#logger;
  }

  get listener(): EngineListener | undefined {
    return this.#listener;
  }

  async start(listener: EngineListener): Promise<void> {
    if (this.#listener !== undefined) throw new Error('RedisEngine.start: this engine already serves a router');
    this.#listener = listener;
    const backoff = { minMs: this.#options.minBackoffMs ?? DEFAULT_MIN_BACKOFF_MS, maxMs: this.#options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS };
    const options = connectionOptions(this.#options.redis ?? {}, backoff, (delay) => (this.#retryAfterMs = delay));
    this.#cmd = openRedis(this.#options.url, { ...options, connectionName: `herald-cmd-${this.nodeId}` });
    this.#sub = openRedis(this.#options.url, { ...options, connectionName: `herald-sub-${this.nodeId}` });
    for (const [name, source] of Object.entries(scripts)) this.#cmd.defineCommand(`herald${name}`, { lua: source });
    this.#cmd.on('ready', () => void this.#onCmdReady());
    this.#sub.on('ready', () => void this.#onSubReady());
    for (const connection of [this.#cmd, this.#sub]) {
      connection.on('close', () => this.#onLost(connection));
      connection.on('error', (error: Error) => this.#logger.log('debug', 'redis connection error', { error: error.message }));
    }
    this.#sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.#onChannel(channel.toString(), message));
    this.#sub.on('pmessageBuffer', (_glob: Buffer, channel: Buffer, message: Buffer) => this.#onChannel(channel.toString(), message));
    const ready = new Promise<void>((resolve) => {
      const check = (available: boolean): void => {
        if (available) (this.off('available', check), resolve());
      };
      this.on('available', check);
    });
    void this.#cmd.connect().catch(() => {});
    void this.#sub.connect().catch(() => {});
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(this.#retryAfterMs, new Error(`Redis not reachable within ${timeoutMs} ms`))), timeoutMs);
    });
    try {
      await Promise.race([ready, timeout]);
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    this.#janitor = setInterval(() => void this.#forget(), 60_000);
    this.#janitor.unref();
  }

  // ---- availability ----

  async #onCmdReady(): Promise<void> {
    try {
      const info = (await this.#cmd.info('server')) as string;
      const runId = /run_id:(\w+)/.exec(info)?.[1] ?? 'unknown';
      await this.run('GENERATION', [this.keys.runId, this.keys.gen], [runId]);
      const rejoined = await this.lease.beat();
      await this.presence.reconnected(runId, rejoined);
      await this.rpc.reannounce();
      this.#forgotUntil = Number((await this.#cmd.get(this.keys.forgot)) ?? Number.NEGATIVE_INFINITY);
    } catch (error) {
      this.#logger.log('warn', 'redis engine: setting up the command connection failed', { error: String(error) });
      this.#cmd.disconnect(true);
      return;
    }
    this.#cmdReady = true;
    this.lease.start();
    await this.#becomeAvailable();
  }

  async #onSubReady(): Promise<void> {
    try {
      // Everything this node needs, back before anything is repaired (autoResubscribe is off).
      const exact = [this.keys.presenceChannel, this.keys.inbox, this.keys.events];
      const globs: string[] = [];
      for (const [channel, entry] of this.#channels) (entry.glob ? globs : exact).push(channel);
      await this.#sub.subscribe(...exact);
      if (globs.length > 0) await this.#sub.psubscribe(...globs);
    } catch (error) {
      this.#logger.log('warn', 'redis engine: resubscribing failed', { error: String(error) });
      this.#sub.disconnect(true);
      return;
    }
    // Presence events sent while `sub` was away are lost (they are not read back like messages):
    // the router repairs its presence watches from the members once `cmd` can read them too.
    this.#presenceGap = true;
    try {
      await this.rpc.load(); // after subscribing: no provider change falls between the two
    } catch (error) {
      // Typically `cmd` is not back yet. Without the registry this node would miss every provider
      // announced before it subscribed, for as long as it lives: set `sub` up again (with backoff).
      this.#logger.log('warn', 'redis engine: loading the request providers failed; reconnecting Pub/Sub to load them again', { error: String(error) });
      this.#sub.disconnect(true);
      return;
    }
    this.#subReady = true;
    this.lease.onTick(); // ticks missed while `sub` was away say nothing about the new connection
    await this.#becomeAvailable();
  }

  async #becomeAvailable(): Promise<void> {
    if (!this.available) return;
    this.rejoins.check(); // the rejoins announced before the events channel was subscribed
    if (this.#presenceGap) {
      // Subscribed again: the events from now on arrive, and the members can be read.
      this.#presenceGap = false;
      this.#listener?.onPresenceGap?.();
    }
    // Whatever was published while `sub` was away comes from history, before any later live frame.
    await this.repair.afterOutage();
    if (this.available) this.emit('available', true);
  }

  #onLost(connection: Redis): void {
    const wasAvailable = this.available;
    // The router's presence repair reads on `cmd`: one in flight (or due) may fail, so it is done
    // again once both connections are back, whichever was lost.
    this.#presenceGap = true;
    this.historyReads.clear(); // the feed may have broken, or Redis may be another master now
    if (connection === this.#cmd) this.#cmdReady = false;
    else {
      this.#subReady = false;
      this.repair.lost();
    }
    if (wasAvailable) {
      this.#logger.log('warn', 'redis engine: lost Redis; refusing publishes and subscribes until it is back', { node: this.nodeId });
      this.emit('available', false);
    }
  }

  /** Forces the Pub/Sub connection to reconnect (used when it looks wedged: our own ticks stopped). */
  reconnectSub(): void {
    this.#sub.disconnect(true);
  }

  /** Throws `ENGINE_UNAVAILABLE` unless Redis is reachable (both connections: for subscribing). */
  check(): void {
    if (!this.available) throw unavailable(this.#retryAfterMs);
  }

  /** Throws `ENGINE_UNAVAILABLE` unless the command connection is up (publish and presence need no more). */
  checkCommands(): void {
    if (!this.commandsAvailable) throw unavailable(this.#retryAfterMs);
  }

  /** Runs one of the scripts; a connection failure becomes `ENGINE_UNAVAILABLE`. */
  async run(name: keyof typeof scripts, keys: string[], args: Array<string | number | Buffer>, buffers = false): Promise<unknown> {
    const command = `herald${name}${buffers ? 'Buffer' : ''}`;
    const call = (this.#cmd as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[command]!;
    try {
      return await call.call(this.#cmd, keys.length, ...keys, ...args);
    } catch (error) {
      throw this.failure(error);
    }
  }

  /** What a failed Redis call rejects with. */
  failure(error: unknown): unknown {
    if (isHeraldError(error, ErrorCode.ENGINE_UNAVAILABLE)) return error;
    return isConnectionError(error) || !this.available ? unavailable(this.#retryAfterMs, error) : error;
  }

  // ---- publish / subscribe ----

  async subscribe(subscriber: string, pattern: string): Promise<void> {
    this.check();
    if (!this.#index.add(subscriber, pattern)) return;
    const glob = hasWildcard(pattern);
    const channel = glob ? patternGlob(this.keys.channelPrefix, pattern) : this.keys.channel(pattern);
    let entry = this.#channels.get(channel);
    if (entry === undefined) {
      const ready = glob ? this.#sub.psubscribe(channel) : this.#sub.subscribe(channel);
      const created: ChannelEntry = { count: 0, glob, ready: ready.then(() => void (created.live = true)), live: false };
      this.#channels.set(channel, (entry = created));
    }
    entry.count++;
    try {
      await entry.ready;
    } catch (error) {
      this.#index.remove(subscriber, pattern);
      if (--entry.count === 0 && this.#channels.get(channel) === entry) this.#channels.delete(channel);
      throw this.failure(error);
    }
  }

  async unsubscribe(subscriber: string, pattern: string): Promise<void> {
    if (!this.#index.remove(subscriber, pattern)) return;
    const glob = hasWildcard(pattern);
    const channel = glob ? patternGlob(this.keys.channelPrefix, pattern) : this.keys.channel(pattern);
    const entry = this.#channels.get(channel);
    if (entry === undefined || --entry.count > 0) return;
    this.#channels.delete(channel);
    if (!glob) this.historyReads.invalidate(pattern); // the node stops receiving the topic
    // Positions of topics this node no longer receives would make a later subscriber look behind
    // (a false gap, repaired with old messages): forget them. Only when a channel goes, not per
    // subscriber: a glob's last subscriber costs one pass over the positions.
    if (!glob) {
      if (!this.wanted(pattern)) this.seen.delete(pattern);
    } else {
      for (const topic of this.seen.keys()) if (matchPattern(pattern, topic) && !this.wanted(topic)) this.seen.delete(topic);
    }
    // While Redis is away there is nothing to undo: `sub` resubscribes only what is still wanted.
    if (this.#subReady) await (glob ? this.#sub.punsubscribe(channel) : this.#sub.unsubscribe(channel)).catch(() => {});
  }

  async publish(publication: Publication): Promise<Stamp> {
    this.checkCommands();
    const { topic } = publication;
    const rule = this.rule(topic);
    const reply = (await this.run(
      'PUBLISH',
      [this.keys.meta(topic), this.keys.stream(topic), this.keys.index, this.keys.gen, publication.pid === undefined ? '' : this.keys.dedupe(topic, publication.pid)],
      [
        topic,
        this.keys.channel(topic),
        encodeRecord(publication),
        rule.limit,
        Math.max(1, rule.ttlMs),
        newEpoch(),
        publication.at,
        this.dedupeMs,
        Math.max(TOPIC_MEMORY_MS, rule.ttlMs),
      ],
    )) as [string, number];
    const [stamp] = reply;
    const colon = stamp.lastIndexOf(':');
    return { epoch: stamp.slice(0, colon), offset: Number(stamp.slice(colon + 1)) };
  }

  /** A frame from `sub`: a publication, a presence event, a tick or a cluster event. */
  #onChannel(channel: string, message: Buffer): void {
    if (channel.startsWith(this.keys.channelPrefix)) {
      // One PUBLISH reaches a node once per matching subscription of the node (exact and globs),
      // and those copies are adjacent: dropping a frame equal to the previous one leaves one.
      const second = message.indexOf(0x0a, message.indexOf(0x0a) + 1);
      const key = `${channel}\n${message.toString('latin1', 0, second)}`;
      if (key === this.#lastChannelKey) {
        this.counters.copiesDropped++;
        return;
      }
      this.#lastChannelKey = key;
      const publication = decodeChannelMessage(channel.slice(this.keys.channelPrefix.length), message);
      if (publication !== undefined) this.repair.live(publication);
      return;
    }
    if (channel === this.keys.presenceChannel) return this.presence.onEvent(message.toString());
    if (channel === this.keys.inbox) {
      if (!this.rpc.onInbox(message)) this.lease.onTick();
      return;
    }
    if (channel === this.keys.events) {
      const event = message.toString();
      this.#logger.log('debug', 'redis engine: cluster event', { event });
      if (this.rejoins.onEvent(event)) return;
      const disconnect = decodeDisconnectUser(event);
      if (disconnect === undefined) this.rpc.onEvent(event);
      else if (disconnect.node !== this.nodeId) this.#listener?.onDisconnectUser?.(disconnect.user, disconnect.reason);
    }
  }

  /**
   * Hands a publication to the router once, in offset order per topic: positions at or below the
   * last one handed are dropped (a repair already delivered them). Returns false when the
   * publication is past a gap (the caller repairs first).
   */
  deliver(publication: StampedPublication): boolean {
    this.historyReads.invalidate(publication.topic);
    const seen = this.seen.get(publication.topic);
    if (seen !== undefined && seen.epoch === publication.epoch) {
      if (publication.offset <= seen.offset) return true;
      if (publication.offset > seen.offset + 1) return false;
    }
    this.seen.delete(publication.topic); // re-inserted last: the map's order is least recently used first
    this.seen.set(publication.topic, { epoch: publication.epoch, offset: publication.offset });
    if (this.seen.size > MAX_TRACKED_TOPICS) this.seen.delete(this.seen.keys().next().value!);
    const subscribers = this.#index.match(publication.topic);
    if (subscribers.size > 0) this.#listener?.onPublication(publication, subscribers);
    return true;
  }

  /** Tells the router that the local subscribers of `topic` missed messages nobody can read back. */
  gap(topic: string): void {
    this.historyReads.invalidate(topic);
    const subscribers = this.#index.match(topic);
    if (subscribers.size > 0) this.#listener?.onGap?.(topic, subscribers);
  }

  /** Whether any local subscriber matches the topic. */
  wanted(topic: string): boolean {
    return this.#index.match(topic).size > 0;
  }

  /** The local patterns (for the repair after an outage). */
  patterns(): string[] {
    const patterns: string[] = [];
    for (const [channel, entry] of this.#channels) if (entry.count > 0) patterns.push(entry.glob ? channel : channel);
    return patterns;
  }

  // ---- history ----

  rule(topic: string): HistoryRule {
    return this.#rules.find((r) => r.pattern === undefined || matchPattern(r.pattern, topic)) ?? NO_HISTORY;
  }

  async history(topic: string, query: HistoryQuery): Promise<HistoryPage> {
    const mode = 'after' in query ? 'after' : 'last' in query ? 'last' : 'all';
    const arg = 'after' in query ? query.after : 'last' in query ? Math.min(query.last, 1_000_000) : 0;
    // Identical reads of a topic whose feed this node holds share one Redis call (history-reads.ts).
    const { value: read } = await this.historyReads.read(topic, mode, arg, this.available && this.#channels.get(this.keys.channel(topic))?.live === true);
    if (read === undefined) return { epoch: undefined, messages: [], complete: !('after' in query) };
    const { epoch, last, first, lastAt } = read;
    const oldest = Date.now() - this.rule(topic).ttlMs;
    const expired = read.entries.filter((m) => m.at < oldest);
    const entries = read.entries.filter((m) => m.at >= oldest);
    // The first message still held: the stream's first, unless age has evicted it.
    const firstHeld = first !== undefined && first.at >= oldest ? first : entries[0];
    if ('after' in query) {
      if (query.epoch !== epoch) return { epoch, messages: [], complete: false };
      const evictedOffset = firstHeld === undefined ? last : firstHeld.offset - 1;
      return { epoch, messages: entries, complete: evictedOffset <= query.after };
    }
    if ('last' in query) return { epoch, messages: entries, complete: true };
    // `since`: anything evicted was published before the first message held (or, with nothing
    // held, at the last publish at the latest).
    let evictedAt = Number.NEGATIVE_INFINITY;
    if (expired.length > 0) evictedAt = expired[expired.length - 1]!.at;
    else if (firstHeld !== undefined && firstHeld.offset > 1) evictedAt = firstHeld.at;
    else if (firstHeld === undefined && last > 0) evictedAt = lastAt ?? Number.POSITIVE_INFINITY;
    return { epoch, messages: entries.filter((m) => m.at >= query.since), complete: evictedAt < query.since };
  }

  /** One HISTORY script call, parsed (entries oldest first). Undefined: Redis knows no such topic. */
  async #readHistory(topic: string, mode: string, arg: number): Promise<SharedRead<HistoryRead | undefined>> {
    const reply = (await this.run(
      'HISTORY',
      [this.keys.meta(topic), this.keys.stream(topic), this.keys.gen, this.keys.index],
      [mode, arg, newEpoch(), topic],
      true,
    )) as Buffer[] | [];
    if (reply.length === 0) return { value: undefined, bytes: 0 };
    const [epochBytes, lastBytes, firstRaw, entriesRaw, lastAtBytes] = reply as unknown as [Buffer, Buffer, RawEntry[], RawEntry[], Buffer | null];
    const epoch = epochBytes.toString();
    let bytes = 0;
    const parse = (raw: RawEntry[]): StampedPublication[] =>
      raw.flatMap(([id, fields]) => {
        bytes += fields[1]!.length;
        return decodeRecord(topic, epoch, parseInt(id.toString(), 10), fields[1]!) ?? [];
      });
    const first = parse(firstRaw)[0];
    const entries = parse(entriesRaw);
    if (mode === 'last') entries.reverse();
    return { value: { epoch, last: Number(lastBytes.toString()), first, entries, lastAt: lastAtBytes === null ? null : Number(lastAtBytes.toString()) }, bytes };
  }

  async topics(pattern: string, since?: number): Promise<string[]> {
    const maxTtl = Math.max(0, ...this.#rules.map((r) => r.ttlMs));
    const from = Math.min(since ?? Number.POSITIVE_INFINITY, Date.now() - maxTtl);
    let candidates: Array<[string, number]>;
    try {
      if (!hasWildcard(pattern)) {
        const score = await this.#cmd.zscore(this.keys.index, pattern);
        candidates = score === null ? [] : [[pattern, Number(score)]];
      } else {
        const flat = await this.#cmd.zrangebyscore(this.keys.index, from, '+inf', 'WITHSCORES');
        candidates = [];
        for (let i = 0; i < flat.length; i += 2) if (matchPattern(pattern, flat[i]!)) candidates.push([flat[i]!, Number(flat[i + 1])]);
      }
      const lengths = await Promise.all(candidates.map(([topic]) => this.#cmd.xlen(this.keys.stream(topic))));
      return candidates.filter(([, at], i) => lengths[i]! > 0 || (since !== undefined && at >= since)).map(([topic]) => topic);
    } catch (error) {
      throw this.failure(error);
    }
  }

  remembersSince(since: number): boolean {
    return since > this.#forgotUntil;
  }

  async #forget(): Promise<void> {
    if (!this.available) return;
    const maxTtl = Math.max(0, ...this.#rules.map((r) => r.ttlMs));
    try {
      const forgot = await this.run('FORGET', [this.keys.index, this.keys.forgot], [Date.now() - Math.max(TOPIC_MEMORY_MS, maxTtl)]);
      this.#forgotUntil = Number(forgot);
    } catch (error) {
      this.#logger.log('debug', 'redis engine: forgetting idle topics failed', { error: String(error) });
    }
  }

  // ---- presence and clients ----

  join(topic: string, member: PresenceMember): Promise<void> {
    return this.presence.join(topic, member);
  }

  leave(topic: string, memberId: string, reason: string): Promise<void> {
    return this.presence.leave(topic, memberId, reason);
  }

  members(topic: string): Promise<PresenceMember[]> {
    return this.presence.members(topic);
  }

  trackClient(id: string, client: ClusterClient | undefined): void {
    this.presence.trackClient(id, client);
  }

  clients(): Promise<ClusterClient[]> {
    return this.presence.clients();
  }

  /** Announces on the events channel that every other node disconnects `user` (user-disconnect.ts). */
  async disconnectUser(user: string, reason: string): Promise<void> {
    this.checkCommands();
    await this.cmd.publish(this.keys.events, encodeDisconnectUser(this.nodeId, user, reason));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#janitor);
    this.historyReads.clear();
    this.lease.stop();
    this.rpc.stop();
    this.rejoins.stop();
    this.#listener = undefined;
    if (this.#cmdReady) await this.lease.resign().catch(() => {});
    this.#cmd?.disconnect();
    this.#sub?.disconnect();
  }
}

type RawEntry = [Buffer, Buffer[]];

/** A Redis channel or glob of `sub` and how many local (subscriber, pattern) pairs need it. */
interface ChannelEntry {
  count: number;
  glob: boolean;
  /** Settles when Redis confirmed the (P)SUBSCRIBE. */
  ready: Promise<void>;
  /** Confirmed: everything published to the channel from now on reaches this node (while `sub` lives). */
  live: boolean;
}

/** A topic's HISTORY reply, parsed once however many callers share it (history-reads.ts). */
interface HistoryRead {
  epoch: string;
  /** The topic's last offset. */
  last: number;
  /** The stream's first entry. */
  first: StampedPublication | undefined;
  /** The entries the read asked for, oldest first. */
  entries: StampedPublication[];
  /** The topic's last publish (ms), from the topic index. */
  lastAt: number | null;
}

function newEpoch(): string {
  return randomBytes(9).toString('base64url');
}
